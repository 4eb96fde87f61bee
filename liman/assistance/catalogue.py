"""The standard catalogue the mission stocks (shipped as reference data by migration 0002, like the programmes)."""

#: (code, name, unit, category, tracks lot and expiry)
STANDARD_ITEMS = [
    ("FOOD-PARCEL", "Food parcel", "parcel", "food", True),
    ("FOOD-PACK", "Ready-to-eat food pack", "pack", "food", True),
    ("WATER-1L5", "Drinking water 1.5 l", "bottle", "water", True),
    ("HYG-KIT", "Hygiene kit", "kit", "hygiene", True),
    ("DIG-KIT", "Dignity kit", "kit", "hygiene", False),
    ("BABY-KIT", "Baby kit", "kit", "hygiene", True),
    ("BLANKET", "Blanket", "piece", "nfi", False),
    ("CLOTH-SET", "Dry clothing set", "set", "clothing", False),
    ("FIRST-AID", "First-aid kit", "kit", "first_aid", True),
    ("NFI-KIT", "NFI kit", "kit", "nfi", False),
    ("WINTER-KIT", "Winterisation kit", "kit", "nfi", False),
    ("SHELTER-KIT", "Shelter kit", "kit", "shelter", False),
    ("TARP", "Tarpaulin 4 × 6 m", "piece", "shelter", False),
    ("TENT", "Family tent", "piece", "shelter", False),
]
