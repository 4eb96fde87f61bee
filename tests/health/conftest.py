from tests.movements.conftest import _plain_pdf_font, caseworker, family, nurse, worker  # noqa: F401
