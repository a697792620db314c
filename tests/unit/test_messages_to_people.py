from aduan.infra.logs import mask_email
from services.notification.templates import render_status_message

CODE = "PDG-2026-7KQ-4M9-X2A"


def test_indonesian_is_the_default_and_english_is_available():
    indonesian = render_status_message("id", CODE, "forwarded", "http://x/1", "DLH")
    english = render_status_message("en", CODE, "forwarded", "http://x/1", "DLH")
    fallback = render_status_message("fr", CODE, "forwarded", "http://x/1", None)
    assert indonesian.subject == "Laporan PDG-2026-7KQ-4M9-X2A: diteruskan ke instansi"
    assert "Instansi yang menangani: DLH" in indonesian.text
    assert english.subject == "Report PDG-2026-7KQ-4M9-X2A: forwarded to the agency"
    assert "Handled by: DLH" in english.text
    assert fallback.subject.startswith("Laporan")
    assert '<html lang="id">' in indonesian.html and "http://x/1" in indonesian.html


def test_html_is_escaped():
    rendered = render_status_message("en", "<b>X</b>", "submitted", "http://x", None)
    assert "<b>X</b>" not in rendered.html and "&lt;b&gt;" in rendered.html


def test_masked_email_cannot_be_used_to_contact_anyone():
    assert mask_email("warga.padang@example.id") == "w***@example.id"
    assert mask_email("nonsense") == "***"
