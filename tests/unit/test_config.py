from aduan.infra.config import Settings


def test_defaults_without_environment(monkeypatch):
    for key in list(__import__("os").environ):
        if key.startswith("ADUAN_"):
            monkeypatch.delenv(key)
    settings = Settings.from_env()
    assert settings.mongo_db == "aduan"
    assert settings.retry_delays_ms == (1000, 5000, 30000)


def test_every_type_is_parsed_from_the_environment(monkeypatch):
    monkeypatch.setenv("ADUAN_MONGO_URL", "mongodb://db.example:27017")
    monkeypatch.setenv("ADUAN_PREFETCH", "32")
    monkeypatch.setenv("ADUAN_S3_SECURE", "true")
    monkeypatch.setenv("ADUAN_CITY_MARGIN_M", "250.5")
    monkeypatch.setenv("ADUAN_RETRY_DELAYS_MS", "100, 200,400")
    settings = Settings.from_env()
    assert settings.mongo_url == "mongodb://db.example:27017"
    assert settings.prefetch == 32
    assert settings.s3_secure is True
    assert settings.city_margin_m == 250.5
    assert settings.retry_delays_ms == (100, 200, 400)


def test_false_spellings(monkeypatch):
    monkeypatch.setenv("ADUAN_S3_SECURE", "0")
    assert Settings.from_env().s3_secure is False
