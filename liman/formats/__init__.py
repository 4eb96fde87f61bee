"""Date and time formats, the same in every language: ISO 8601 (`2026-12-06`, `2026-12-06 14:05`).

`12/06/2026` reads as 12 June in Türkiye and 6 December in the United States; a case file read by offices in
both must not leave the order to guess. Numbers keep each language's own separators (Django's formats).
"""
