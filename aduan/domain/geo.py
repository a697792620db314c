"""Point-in-polygon with a margin, on the city and kecamatan polygons shipped in aduan/data.

The polygons are simplified, so a point a little outside may truly be inside: callers pass a
margin in metres. Distances use an equirectangular projection around the point, which is far
more precise than needed over a city's few kilometres.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

BOUNDARIES = Path(__file__).parent.parent / "data" / "boundaries"
EARTH_RADIUS_M = 6_371_008.8

Ring = list[tuple[float, float]]  # (lon, lat)


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    polygons: tuple[tuple[Ring, ...], ...]  # each polygon: outer ring, then holes
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat

    def contains(self, lat: float, lon: float, margin_m: float = 0.0) -> bool:
        if not self._near_bbox(lat, lon, margin_m):
            return False
        for polygon in self.polygons:
            outer, holes = polygon[0], polygon[1:]
            if _inside_ring(lon, lat, outer) and not any(_inside_ring(lon, lat, h) for h in holes):
                return True
        return margin_m > 0 and self.distance_m(lat, lon) <= margin_m

    def distance_m(self, lat: float, lon: float) -> float:
        """Distance from the point to the nearest boundary edge."""
        best = math.inf
        for polygon in self.polygons:
            for ring in polygon:
                for (x1, y1), (x2, y2) in itertools.pairwise(ring):
                    best = min(best, _segment_distance_m(lat, lon, y1, x1, y2, x2))
        return best

    def _near_bbox(self, lat: float, lon: float, margin_m: float) -> bool:
        pad_lat = margin_m / 111_000
        pad_lon = pad_lat / max(math.cos(math.radians(lat)), 0.01)
        min_lon, min_lat, max_lon, max_lat = self.bbox
        return (min_lon - pad_lon <= lon <= max_lon + pad_lon) and (
            min_lat - pad_lat <= lat <= max_lat + pad_lat
        )


def _inside_ring(x: float, y: float, ring: Ring) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=False):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _segment_distance_m(lat: float, lon: float, lat1: float, lon1: float,
                        lat2: float, lon2: float) -> float:
    scale_x = math.cos(math.radians(lat)) * math.pi / 180 * EARTH_RADIUS_M
    scale_y = math.pi / 180 * EARTH_RADIUS_M
    ax, ay = (lon1 - lon) * scale_x, (lat1 - lat) * scale_y
    bx, by = (lon2 - lon) * scale_x, (lat2 - lat) * scale_y
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy)


def _areas_from_file(path: Path) -> list[Area]:
    collection = json.loads(path.read_text())
    areas = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        raw = geometry["coordinates"]
        polygons_raw = [raw] if geometry["type"] == "Polygon" else raw
        polygons = tuple(
            tuple([(float(p[0]), float(p[1])) for p in ring] for ring in polygon)
            for polygon in polygons_raw
        )
        points = [pt for polygon in polygons for ring in polygon for pt in ring]
        lons = [p[0] for p in points]
        lats = [p[1] for p in points]
        props = feature["properties"]
        areas.append(
            Area(
                code=props["kode"],
                name=props["name"],
                polygons=polygons,
                bbox=(min(lons), min(lats), max(lons), max(lats)),
            )
        )
    return areas


@cache
def city_area(city: str) -> Area:
    return _areas_from_file(BOUNDARIES / f"{city}.geojson")[0]


@cache
def kecamatan_areas(city: str) -> tuple[Area, ...]:
    return tuple(_areas_from_file(BOUNDARIES / f"{city}_kecamatan.geojson"))


def kecamatan_of(city: str, lat: float, lon: float, margin_m: float = 0.0) -> Area | None:
    areas = kecamatan_areas(city)
    for area in areas:
        if area.contains(lat, lon):
            return area
    if margin_m > 0:
        nearest = min(areas, key=lambda a: a.distance_m(lat, lon))
        if nearest.distance_m(lat, lon) <= margin_m:
            return nearest
    return None
