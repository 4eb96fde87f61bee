"""Test settings: the project's settings plus a small app that exercises the shared mechanisms."""

import os

if os.environ.get("LIMAN_TEST_POSTGRES") and not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["LIMAN_TEST_POSTGRES"]

from liman.settings import *  # noqa: E402,F403
from liman.settings import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.vault"]
ROOT_URLCONF = "tests.urls"

# Fixed keys so tests never write under var/; tests that rotate keys override these.
LIMAN_FIELD_KEYS = ["qQdhGAWPo0e_pt_DhChbBEm8n2UqzRr55C2EW1kVoEw="]
LIMAN_BLIND_INDEX_KEY = "test-blind-index-key-0123456789abcdef"
LIMAN_AUDIT_KEY = ["test-audit-key-0123456789abcdef0123456789"]
# Payment files are signed with a fixed test key (32 bytes, URL-safe base64), never one written under var/.
LIMAN_PAYMENT_SIGNING_KEY = "bGltYW4tdGVzdC1wYXltZW50LXNpZ25pbmcta2V5ISE="

# Argon2 stays the production hasher (a test checks it); tests hash faster.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405

# Uploaded files go to a throwaway folder, never under var/.
import tempfile  # noqa: E402

MEDIA_ROOT = tempfile.mkdtemp(prefix="liman-test-media-")

# Demo data in tests: a few people per office is enough to exercise every seeder.
LIMAN_DEMO_PEOPLE_PER_OFFICE = 50
