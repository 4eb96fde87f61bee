"""The demo data set's places and figures (no Django in here: the XLSForm builder reads it too).

Sites and points are placed in real districts by p-code; the figures follow docs/domain.md ("Facts the
demo data and reference lists follow"): Syrians under temporary protection 3,321,072 in July 2023 (İstanbul
531,742, then Gaziantep, Şanlıurfa, Hatay, Adana, Mersin, Bursa, İzmir, Konya, Kilis); the coast guard apprehended
or rescued 49,231 people on the Aegean in 2022 and 56,621 in 2023.
"""

EARTHQUAKE_PROVINCES = [
    "TUR001", "TUR002", "TUR021", "TUR023", "TUR027", "TUR031", "TUR044", "TUR046", "TUR063", "TUR079", "TUR080",
]  # fmt: skip

#: (round, assessment type, first day, last day) of the earthquake operation.
EARTHQUAKE_ROUNDS = [
    (1, "emergency_tracking", "2023-02-13", "2023-02-26"),
    (2, "site_assessment", "2023-04-03", "2023-04-21"),
    (3, "site_assessment", "2023-07-03", "2023-07-21"),
    (4, "site_assessment", "2023-11-06", "2023-11-24"),
]

#: (district p-code, site name, type, manager, office, first round, last round open, size at its peak)
EARTHQUAKE_SITES = [
    ("TUR031002", "Antakya Stadium Tent City", "tent_camp", "AFAD", "HTY", 1, 3, 6200),
    ("TUR031002", "Antakya Container City 1", "container_city", "AFAD", "HTY", 2, 4, 9800),
    ("TUR031005", "Defne Tent Camp", "tent_camp", "Turkish Red Crescent", "HTY", 1, 3, 4100),
    ("TUR031005", "Defne Container City", "container_city", "AFAD", "HTY", 2, 4, 7400),
    ("TUR031009", "İskenderun Container City", "container_city", "AFAD", "HTY", 2, 4, 8600),
    ("TUR031010", "Kırıkhan Informal Site", "informal_site", "", "HTY", 1, 2, 1300),
    ("TUR031014", "Samandağ Tent City", "tent_camp", "AFAD", "HTY", 1, 3, 3900),
    ("TUR031001", "Altınözü Collective Centre", "collective_centre", "Altınözü Municipality", "HTY", 1, 2, 650),
    ("TUR031013", "Reyhanlı Container City", "container_city", "AFAD", "HTY", 2, 4, 5200),
    ("TUR046009", "Onikişubat Tent City", "tent_camp", "AFAD", "GAZ", 1, 3, 5600),
    ("TUR046004", "Dulkadiroğlu Container City", "container_city", "AFAD", "GAZ", 2, 4, 8900),
    ("TUR046006", "Elbistan Tent City", "tent_camp", "Turkish Red Crescent", "GAZ", 1, 3, 4700),
    ("TUR046006", "Elbistan Container City", "container_city", "AFAD", "GAZ", 2, 4, 6100),
    ("TUR046010", "Pazarcık Tent City", "tent_camp", "AFAD", "GAZ", 1, 3, 2800),
    ("TUR046011", "Türkoğlu Informal Site", "informal_site", "", "GAZ", 1, 2, 900),
    ("TUR002001", "Adıyaman Central Tent City", "tent_camp", "AFAD", "SUR", 1, 3, 5300),
    ("TUR002001", "Adıyaman Container City", "container_city", "AFAD", "SUR", 2, 4, 7700),
    ("TUR002005", "Gölbaşı Tent City", "tent_camp", "AFAD", "SUR", 1, 3, 2600),
    ("TUR002002", "Besni Collective Centre", "collective_centre", "Besni Municipality", "SUR", 1, 2, 480),
    ("TUR002006", "Kâhta Container City", "container_city", "AFAD", "SUR", 2, 4, 3100),
    ("TUR044004", "Battalgazi Tent City", "tent_camp", "AFAD", "GAZ", 1, 3, 4400),
    ("TUR044013", "Yeşilyurt Container City", "container_city", "AFAD", "GAZ", 2, 4, 6900),
    ("TUR044006", "Doğanşehir Tent City", "tent_camp", "Turkish Red Crescent", "GAZ", 1, 3, 1900),
    ("TUR044001", "Akçadağ Informal Site", "informal_site", "", "GAZ", 1, 2, 700),
    ("TUR027005", "Nurdağı Tent City", "tent_camp", "AFAD", "GAZ", 1, 3, 3600),
    ("TUR027002", "İslahiye Container City", "container_city", "AFAD", "GAZ", 2, 4, 5400),
    ("TUR027007", "Şahinbey Collective Centre", "collective_centre", "Şahinbey Municipality", "GAZ", 1, 2, 820),
    ("TUR080005", "Osmaniye Central Tent City", "tent_camp", "AFAD", "GAZ", 1, 3, 2300),
    ("TUR080002", "Düziçi Container City", "container_city", "AFAD", "GAZ", 2, 4, 2100),
    ("TUR063007", "Haliliye Tent City", "tent_camp", "AFAD", "SUR", 1, 2, 1500),
    ("TUR001011", "Sarıçam Container City", "container_city", "AFAD", "GAZ", 2, 4, 4800),
    ("TUR001012", "Seyhan Collective Centre", "collective_centre", "Seyhan Municipality", "GAZ", 1, 2, 760),
    ("TUR021011", "Kayapınar Tent City", "tent_camp", "AFAD", "SUR", 1, 2, 1700),
    ("TUR023005", "Elazığ Central Tent City", "tent_camp", "AFAD", "GAZ", 1, 2, 1400),
    ("TUR079002", "Kilis Container City", "container_city", "AFAD", "GAZ", 2, 4, 2900),
]  # fmt: skip

#: (code, name, type, district p-code, office, latitude, longitude) on the western border and the Aegean.
FLOW_POINTS = [
    ("EDR-PAZARKULE", "Pazarkule border gate", "border_crossing", "TUR022001", "EDR", 41.6589, 26.5070),
    ("EDR-KAPIKULE", "Kapıkule border gate", "border_crossing", "TUR022001", "EDR", 41.7197, 26.3614),
    ("EDR-IPSALA", "İpsala border gate", "border_crossing", "TUR022004", "EDR", 40.9222, 26.3342),
    ("EDR-BUS", "Edirne bus station", "bus_station", "TUR022001", "EDR", 41.6591, 26.5835),
    ("IZM-BASMANE", "İzmir Basmane transit point", "transit_point", "TUR035021", "IZM", 38.4228, 27.1447),
    ("IZM-CESME", "Çeşme coast", "coastal_point", "TUR035009", "IZM", 38.3236, 26.3033),
    ("IZM-DIKILI", "Dikili coast", "coastal_point", "TUR035011", "IZM", 39.0712, 26.8890),
    ("IZM-AYVACIK", "Ayvacık coast (Çanakkale)", "coastal_point", "TUR017001", "IZM", 39.6014, 26.4044),
    ("IZM-BODRUM", "Bodrum coast (Muğla)", "coastal_point", "TUR048001", "IZM", 37.0344, 27.4305),
]

#: Nationalities met in flows at the western border, with their rough share.
FLOW_NATIONALITIES = {"AFG": 0.31, "SYR": 0.18, "IRQ": 0.12, "PAK": 0.11, "IRN": 0.07, "SOM": 0.06,
                      "PSE": 0.06, "ERI": 0.04, "BGD": 0.03, "TKM": 0.01, "UZB": 0.01}  # fmt: skip

#: Share of each sex and age group among people on the move (DTM flow monitoring, western route).
FLOW_SEX_AGE = {("M", "18_59"): 0.62, ("F", "18_59"): 0.14, ("M", "5_17"): 0.10, ("F", "5_17"): 0.06,
                ("M", "0_4"): 0.03, ("F", "0_4"): 0.03, ("M", "60"): 0.01, ("F", "60"): 0.01}  # fmt: skip

#: Sex and age shares of people in the earthquake sites (a displaced population, families).
SITE_SEX_AGE = {"f_0_4": 0.05, "f_5_17": 0.15, "f_18_59": 0.26, "f_60": 0.05,
                "m_0_4": 0.05, "m_5_17": 0.16, "m_18_59": 0.23, "m_60": 0.05}  # fmt: skip

#: Syrians under temporary protection, July 2023, by province (PMM's published order: İstanbul first).
TP_JULY_2023_TOTAL = 3_321_072
TP_JULY_2023 = {
    "TUR034": 531_742, "TUR027": 437_216, "TUR063": 316_466, "TUR031": 301_832, "TUR001": 249_574,
    "TUR033": 236_031, "TUR016": 174_919, "TUR035": 146_271, "TUR042": 119_320, "TUR079": 80_151,
    "TUR046": 74_852, "TUR044": 26_180, "TUR080": 48_507, "TUR021": 31_122, "TUR006": 95_438,
    "TUR041": 57_214, "TUR059": 34_981, "TUR047": 88_760, "TUR002": 22_694, "TUR026": 25_311,
}  # fmt: skip

#: Months of 2023 with the national total of Syrians under temporary protection (July from docs/domain.md).
TP_MONTHLY_TOTALS_2023 = {
    1: 3_535_898, 2: 3_518_417, 3: 3_442_165, 4: 3_408_114, 5: 3_381_429, 6: 3_354_217,
    7: 3_321_072, 8: 3_305_998, 9: 3_279_429, 10: 3_256_735, 11: 3_233_918, 12: 3_214_780,
}  # fmt: skip

#: Aegean Sea: apprehended or rescued by the coast guard (docs/domain.md).
AEGEAN_TOTALS = {2022: 49_231, 2023: 56_621}
#: How a year's crossings fall over its months (more in summer and early autumn).
AEGEAN_MONTH_WEIGHTS = [0.045, 0.04, 0.055, 0.07, 0.085, 0.095, 0.11, 0.12, 0.125, 0.11, 0.085, 0.06]
AEGEAN_NATIONALITIES = {"AFG": 0.33, "SYR": 0.16, "PSE": 0.12, "SOM": 0.09, "IRQ": 0.08, "ERI": 0.07,
                        "PAK": 0.06, "IRN": 0.05, "BGD": 0.04}  # fmt: skip
#: Provinces whose coast the apprehensions and rescues happen off.
AEGEAN_PROVINCES = {"TUR035": 0.34, "TUR048": 0.24, "TUR017": 0.20, "TUR009": 0.14, "TUR010": 0.08}
RESCUE_SHARE = 0.38

#: The demo field users, one per DTM office (password: the demo password).
FIELD_OFFICES = ["GAZ", "HTY", "SUR", "EDR", "IZM"]


def field_username(office_code: str) -> str:
    return f"enumerator.{office_code.lower()}"


def largest_remainder(total: int, weights: dict) -> dict:
    """Split `total` by `weights` into whole numbers that add up to exactly `total`."""
    weight_sum = sum(weights.values())
    raw = {key: total * weight / weight_sum for key, weight in weights.items()}
    whole = {key: int(value) for key, value in raw.items()}
    short = total - sum(whole.values())
    for key in sorted(raw, key=lambda k: raw[k] - whole[k], reverse=True)[:short]:
        whole[key] += 1
    return whole
