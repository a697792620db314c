import pytest
from photo_factory import INSIDE

from aduan.domain.geo import city_area, kecamatan_of

CITIES = ["padang", "depok", "jambi", "kotamobagu"]


@pytest.mark.parametrize("city", CITIES)
def test_a_point_inside_each_city(city):
    lat, lon = INSIDE[city]
    assert city_area(city).contains(lat, lon)
    assert kecamatan_of(city, lat, lon) is not None


@pytest.mark.parametrize("city", CITIES)
def test_other_cities_points_are_outside(city):
    for other, (lat, lon) in INSIDE.items():
        if other != city:
            assert not city_area(city).contains(lat, lon, margin_m=500)


def test_margin_admits_a_point_just_outside_the_simplified_boundary():
    area = city_area("padang")
    # Walk west from a point inside until just outside the polygon (the coast), ~200 m out.
    lat, lon = INSIDE["padang"]
    while area.contains(lat, lon):
        lon -= 0.0005
    lon -= 0.0015
    distance = area.distance_m(lat, lon)
    assert 100 < distance < 400
    assert not area.contains(lat, lon)
    assert area.contains(lat, lon, margin_m=500)
    assert not area.contains(lat, lon, margin_m=50)


@pytest.mark.parametrize(
    "city, expected",
    [("padang", "Lubuk Begalung"), ("depok", "Beji"), ("jambi", "Jelutung"),
     ("kotamobagu", "Kotamobagu Timur")],
)
def test_kecamatan_of_a_known_point(city, expected):
    area = kecamatan_of(city, *INSIDE[city])
    assert area is not None and area.name == expected


def test_a_point_in_a_gap_between_simplified_kecamatan_takes_the_nearest_within_margin():
    lat, lon = -0.9471, 100.4172  # inside Padang, between simplified kecamatan polygons
    assert kecamatan_of("padang", lat, lon) is None
    nearest = kecamatan_of("padang", lat, lon, margin_m=500)
    assert nearest is not None and nearest.name == "Lubuk Begalung"
