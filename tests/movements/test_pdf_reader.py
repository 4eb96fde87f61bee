"""The tests' PDF reader (`tests.movements.pdf`), which the manifests', reports' and tier walks' checks rely on:
a reader that silently read nothing would let "no medical finding in the PDF" pass on any PDF."""

from fpdf import FPDF

from tests.movements.pdf import pdf_text


def _pdf(text: str) -> bytes:
    pdf = FPDF()
    for line in (text, f"{text} again"):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=line)
    return bytes(pdf.output())


def test_it_reads_every_page_of_a_pdf():
    assert pdf_text(_pdf("Travellers booked: 4")).splitlines() == ["Travellers booked: 4", "Travellers booked: 4 again"]


def test_it_reads_a_stream_whose_compressed_bytes_end_in_a_carriage_return():
    """Compressed bytes end in a carriage return once in 256 streams: read up to the next "endstream", that
    byte went with the line break and the stream could not be inflated (a manifest read as empty in CI)."""
    for number in range(5000):
        content = _pdf(f"Passenger {number}")
        if b"\r\nendstream" in content:  # fpdf2 writes a line break after the bytes: these end in "\r"
            break
    else:
        raise AssertionError("no stream ending in a carriage return among 5,000 PDFs")
    assert pdf_text(content).splitlines() == [f"Passenger {number}", f"Passenger {number} again"]
