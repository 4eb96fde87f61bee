"""Loads Türkiye's provinces and districts (OCHA COD-AB) shipped in liman/core/data/geo/."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .text import ascii_key, tr_title

GEO_DIR = Path(__file__).resolve().parent / "data" / "geo"


def _centroid(geometry: dict) -> tuple[float, float]:
    """Mean of the outer ring's vertices of the largest polygon: good enough to place a label or a pin."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    ring = max((polygon[0] for polygon in polygons), key=len)
    lon = sum(point[0] for point in ring) / len(ring)
    lat = sum(point[1] for point in ring) / len(ring)
    return round(lat, 5), round(lon, 5)


def _round_geometry(geometry: dict, digits: int = 4) -> dict:
    def walk(value):
        if isinstance(value, list):
            return [walk(item) for item in value]
        return round(value, digits)

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def load_admin_areas(AdminArea) -> tuple[int, int]:
    """Create or refresh the 81 provinces and 973 districts; works with a historical model in migrations."""
    provinces_geo = json.loads((GEO_DIR / "tur_adm1.geojson").read_text(encoding="utf-8"))
    districts_geo = json.loads((GEO_DIR / "tur_adm2.geojson").read_text(encoding="utf-8"))
    with (GEO_DIR / "tur_adm2_gazetteer.csv").open(encoding="utf-8") as handle:
        gazetteer = {row["adm2_pcode"]: row for row in csv.DictReader(handle)}

    provinces = {}
    for feature in provinces_geo["features"]:
        props = feature["properties"]
        pcode = props["adm1_pcode"]
        lat, lon = _centroid(feature["geometry"])
        name_tr, name_en = tr_title(props["adm1_tr"]), props["adm1_en"].title()
        area, _ = AdminArea.objects.update_or_create(
            pcode=pcode,
            defaults={
                "level": 1,
                "name_tr": name_tr,
                "name_en": name_en,
                "name_key": ascii_key(name_tr),
                "name_en_key": ascii_key(name_en),
                "iso_code": f"TR-{int(pcode[3:]):02d}",
                "centroid_lat": lat,
                "centroid_lon": lon,
                "geometry": _round_geometry(feature["geometry"]),
                "parent": None,
            },
        )
        provinces[pcode] = area

    areas_by_province: dict[str, float] = {}
    for feature in districts_geo["features"]:
        props = feature["properties"]
        pcode = props["adm2_pcode"]
        row = gazetteer.get(pcode)
        if row:
            lat, lon, area_km2 = float(row["lat"]), float(row["lon"]), float(row["area_km2"])
        else:
            (lat, lon), area_km2 = _centroid(feature["geometry"]), None
        areas_by_province[props["adm1_pcode"]] = areas_by_province.get(props["adm1_pcode"], 0.0) + (area_km2 or 0.0)
        name_tr, name_en = tr_title(props["adm2_tr"]), props["adm2_en"].title()
        AdminArea.objects.update_or_create(
            pcode=pcode,
            defaults={
                "level": 2,
                "name_tr": name_tr,
                "name_en": name_en,
                "name_key": ascii_key(name_tr),
                "name_en_key": ascii_key(name_en),
                "iso_code": "",
                "centroid_lat": lat,
                "centroid_lon": lon,
                "area_km2": area_km2,
                "geometry": _round_geometry(feature["geometry"]),
                "parent": provinces[props["adm1_pcode"]],
            },
        )
    for pcode, total in areas_by_province.items():
        AdminArea.objects.filter(pcode=pcode).update(area_km2=round(total, 1))
    return len(provinces), len(districts_geo["features"])
