"""After a load run: every flow count the field devices were answered for is stored exactly once.

    DATABASE_URL=… .venv/bin/python benchmarks/load/check_submissions.py /tmp/liman-load-sent.txt

Reads the instanceIDs the locustfile wrote (LIMAN_LOAD_SENT), counts the stored submissions of the demo's flow-count
form with those IDs, and that each became flow counts. Exits non-zero when one is missing, stored twice or not
processed.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    sent = [line.strip() for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines() if line.strip()]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liman.settings")
    import django

    django.setup()
    from liman.dtm.choices import SubmissionState
    from liman.dtm.models import Submission

    stored = Counter(
        Submission.objects.filter(form__form_id="dtm_flow_count", instance_id__in=sent).values_list(
            "instance_id", flat=True
        )
    )
    missing = [instance_id for instance_id in sent if instance_id not in stored]
    doubled = [instance_id for instance_id, count in stored.items() if count > 1]
    unprocessed = (
        Submission.objects.filter(form__form_id="dtm_flow_count", instance_id__in=sent)
        .exclude(state=SubmissionState.PROCESSED, flow_counts__isnull=False)
        .distinct()
        .count()
    )
    print(
        f"submissions answered: {len(sent):,}; stored once: {sum(1 for count in stored.values() if count == 1):,}; "
        f"missing: {len(missing)}; stored more than once: {len(doubled)}; not made into flow counts: {unprocessed}"
    )
    return 1 if missing or doubled or unprocessed else 0


if __name__ == "__main__":
    raise SystemExit(main())
