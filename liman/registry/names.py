"""Name keys for the fuzzy person search, with no Django in it.

The same person is registered as "Mohammed", "Muhammad", "Mohamad" or "Mehmet"; "Abd al-Rahman",
"Abdulrahman" or "Abdurrahman"; "AYŞE", "Ayse" or "Aisha"; and sometimes only in Arabic script.
A search must find all of them, fast, among a million people. So every name is turned into keys
that a B-tree index can look up exactly:

* `fold` lower-cases with Turkish rules (I → ı, İ → i), writes Arabic, Persian, Pashto and Kurdish
  script in Latin letters, removes diacritics and the ʿayn/hamza marks, and keeps letters and digits;
* `name_tokens` splits a folded name into words and joins the particles that transliterations write
  apart or together: "Abd al-Rahman" / "Abdul Rahman" / "Abdurrahman", "Nur al-Din" / "Nurettin",
  "Abu Bakr" / "Ebubekir"; it drops the article ("Al-Hassan" is "Hassan") and "bin", "ibn";
* `canonical` maps a word to one key per name from a curated table of spelling variants of common
  Arabic, Persian, Pashto, Kurdish, Somali and Turkish names ("mehmet" → "muhammad");
* `skeleton` is a phonetic consonant key ("Khaled" and "Halid" are both "hlt"), used to find
  candidates only: it is deliberately loose, and the candidates are then ranked by `match_score`.

The search (`liman.registry.search`) indexes per person each word's canonical key and skeleton, and
each pair of words by canonical keys and by skeletons: a pair is selective even where a word is not
("Mohammed" is one man in ten; "Mohammed … Haddad" is not). Typos are met by looking up, besides the
skeletons typed, those one letter away that occur in the registry (`deletions`, symmetric delete).
`match_score` then ranks the few hundred candidates by their whole name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

# --- folding -------------------------------------------------------------------------------------------------

#: Arabic-script letters (Arabic, Persian, Pashto, Urdu, Kurdish Sorani) as Latin letters, for comparison.
#: Each letter becomes one Latin letter of the class the skeleton key uses (خ kh → x, ش sh → s, ث th → s,
#: ذ dh → z, غ gh → g, چ ch → c), so that two letters never run together into a false digraph (ز + ه is
#: not "zh"). Long vowels are written as vowels (و → u, ي → i) except at the start of a word.
ARABIC_LETTERS = {
    "ا": "a", "أ": "a", "إ": "i", "آ": "a", "ٱ": "a", "ء": "", "ؤ": "", "ئ": "",
    "ب": "b", "ت": "t", "ث": "s", "ج": "j", "ح": "h", "خ": "x", "د": "d", "ذ": "z", "ر": "r",
    "ز": "z", "س": "s", "ش": "s", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "g",
    "ف": "f", "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ة": "a", "و": "u",
    "ي": "i", "ى": "a",
    # Persian
    "پ": "p", "چ": "c", "ژ": "j", "گ": "g", "ک": "k", "ی": "i", "ۀ": "a", "ە": "a",
    # Pashto
    "ټ": "t", "ډ": "d", "ړ": "r", "ږ": "j", "ښ": "s", "ګ": "g", "ڼ": "n", "ې": "e", "ۍ": "ai",
    "ځ": "z", "څ": "s",
    # Urdu
    "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n", "ے": "e", "ہ": "h", "ھ": "h",
    # Kurdish (Sorani)
    "ڕ": "r", "ڵ": "l", "ۆ": "o", "ێ": "e", "ڤ": "v",
    # short vowels and other marks, when written
    "\u064e": "a", "\u0650": "i", "\u064f": "u", "\u0670": "a", "\u0652": "", "\u064b": "", "\u064c": "",
    "\u064d": "", "\u0640": "",
}  # fmt: skip
#: How an Arabic-script letter reads at the start of a word.
ARABIC_INITIAL = {"و": "w", "ي": "y", "ی": "y", "ع": "a", "ا": "a", "أ": "a", "آ": "a", "إ": "i"}
_SHADDA = "\u0651"
_ARABIC_DIGITS = {chr(0x0660 + n): str(n) for n in range(10)} | {chr(0x06F0 + n): str(n) for n in range(10)}

_TURKISH_LOWER = str.maketrans({"I": "ı", "İ": "i"})
#: Letters that Unicode does not decompose into a base letter and a mark.
_SPECIAL_LETTERS = str.maketrans(
    {"ı": "i", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ħ": "h"}
)
#: ʿayn and hamza marks and apostrophes join the letters around them: "Sa'id" is "said", "Ja`far" is "jafar".
_JOINERS = dict.fromkeys(map(ord, "'’‘`´ʿʾʻʼ′"), None)
_NOT_WORD = re.compile(r"[^\w]+|_")


def _is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\ufb50" <= ch <= "\ufeff"


@lru_cache(maxsize=65536)
def _in_arabic_script(text: str) -> bool:
    """Whether the text has Arabic letters (cached: a search asks it of the same common names many times)."""
    return any(_is_arabic(ch) for ch in text)


def transliterate_arabic(text: str) -> str:
    """Arabic-script text in Latin letters, close to how it is usually transliterated.

    Short vowels are rarely written, so "محمد" gives "mhmd": the skeleton keys still match "Mohammed".
    The article ال is written apart ("الحسن" → "al hsn") so it is dropped like "Al-" in Latin names.
    """
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    at_word_start = True
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in _ARABIC_DIGITS:
            out.append(_ARABIC_DIGITS[ch])
            at_word_start = False
        elif _is_arabic(ch):
            if ch == _SHADDA:
                if out and out[-1]:
                    out.append(out[-1][-1])
            elif at_word_start and ch == "ا" and text[i + 1 : i + 2] == "ل" and len(text) > i + 3:
                following = text[i + 2 : i + 3]
                if following and _is_arabic(following) and not following.isspace():
                    out.append("al ")
                    i += 2
                    continue
                out.append(ARABIC_INITIAL[ch])
            elif at_word_start and ch in ARABIC_INITIAL:
                out.append(ARABIC_INITIAL[ch])
            else:
                out.append(ARABIC_LETTERS.get(ch, ""))
            at_word_start = False if ch != "\u0640" else at_word_start
        else:
            out.append(ch)
            at_word_start = not ch.isalnum()
        i += 1
    return "".join(out)


def fold(text: str) -> str:
    """Lower-case Latin letters and digits, words separated by one space.

    Turkish case rules ("IŞIK", "Işık", "ISIK" all give "isik"), diacritics removed ("Hüseyin" →
    "huseyin"), Arabic script transliterated, apostrophes and ʿayn marks joined, other punctuation a space.
    """
    # Compatibility forms first (Arabic presentation and mathematical letters, ligatures): "𞹧" is the letter "ح",
    # and must be transliterated as the letter is.
    text = unicodedata.normalize("NFKC", text)
    if any(_is_arabic(ch) for ch in text):
        text = transliterate_arabic(text)
    lowered = text.translate(_TURKISH_LOWER).lower().translate(_JOINERS)
    decomposed = unicodedata.normalize("NFKD", lowered)
    # Compatibility forms may decompose into capitals (ᴬ → A, ℍ → H): lower-case once more after NFKD.
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().translate(_SPECIAL_LETTERS)
    return " ".join(_NOT_WORD.sub(" ", stripped).split())


# --- particles -----------------------------------------------------------------------------------------------

#: Words between names that are not names: "bin", "ibn", "bint" (son/daughter of), "walad", "ould".
CONNECTORS = frozenset({"bin", "ibn", "bint", "binti", "ben", "walad", "ould"})
#: The Arabic article as a word of its own, also in its assimilated forms ("ash-Shami", "ar-Rifai").
ARTICLE = re.compile(r"^(?:[aeiou]l|[aeiou](?:sh|th|dh|[tdrzsn]))$")
#: "Abd" ("servant of") with the article attached, waiting for the name that follows: "Abdul", "Abdel", "Abdur"…
#: ("Abdi" and "Abdu" are not here: in Somali they are names of their own.)
ABD_PREFIX = re.compile(r"^abd(?:[aeiou](?:l|sh|th|dh|[tdrzsn]))?$")
_ABD_JOINED = re.compile(r"^abd(?P<rest>[a-z]{3,})$")
#: "-ud-Din" names written as one word: "Nureddin", "Nurettin", "Salahuddin", "Alaaddin", "Nuredin".
_DIN_JOINED = re.compile(r"^(?P<stem>[a-z]{3,}?)[aeiou]?(?:ld|dd|tt|d)(?:i|ee|e)ne?$")
#: "-ud-Din" written as a word after the name: "Nur al-Din", "Nour Eddine", "Salah ud-Din".
_DIN_WORDS = frozenset({"din", "deen", "dine", "eddin", "eddine", "uddin", "uddine", "uddeen", "addin", "aldin"})
_ABU_WORDS = frozenset({"abu", "abou", "abo", "ebu"})
_VOWEL_THEN_L = re.compile(r"^[aeiou]l(?=[a-z]{2})")
_VOWEL_THEN_DOUBLE = re.compile(r"^[aeiou](sh|th|dh|[tdrzsn])\1")


def _after_abd(rest: str) -> str:
    """The name after "abd", without the article or linking vowel: "ulrahman", "urrahman", "irahman" → "rahman"."""
    if _VOWEL_THEN_L.match(rest):
        return rest[2:]
    double = _VOWEL_THEN_DOUBLE.match(rest)
    if double:
        return rest[1 + len(double.group(1)) :]
    if rest[:1] in ("i", "u") and len(rest) > 3:  # Somali "Abdirahman", "Abdiaziz"; "Abdurahman"
        return rest[1:]
    return rest


def _din(stem: str) -> str:
    return stem.rstrip("aeiou") + "din"


def _normal_word(word: str) -> str:
    """The form a single word is keyed under: "abdulrahman" → "abdrahman", "nurettin" → "nurdin",
    "alhassan" → "hassan" (the article written together with the name)."""
    joined = _ABD_JOINED.match(word)
    if joined and not ABD_PREFIX.match(word):
        return "abd" + _after_abd(joined.group("rest"))
    joined = _DIN_JOINED.match(word)
    if joined:
        return _din(joined.group("stem"))
    if word[:2] in ("al", "el") and len(word) >= 6:
        rest = word[2:]
        return rest[1:] if rest[0] == rest[1] else rest  # "Alssayed", "Errifai": the article doubles the letter
    return word


def name_tokens(text: str) -> list[str]:
    """The words of a name as they are keyed: folded, with particles joined or dropped.

    >>> name_tokens("Abd al-Rahman AL-HASSAN bin Ali")
    ['abdrahman', 'hassan', 'ali']
    """
    words = fold(text).split()
    tokens: list[str] = []
    i = 0
    while i < len(words):
        word, following = words[i], words[i + 1 :]
        if following and (word in CONNECTORS and tokens):
            i += 1
        elif following and ABD_PREFIX.match(word):
            if ARTICLE.match(following[0]) and len(following) > 1:
                tokens.append("abd" + _after_abd(following[1]))
                i += 3
            else:
                tokens.append("abd" + _after_abd(word[3:] + following[0]))
                i += 2
        elif following and word in _ABU_WORDS:
            if ARTICLE.match(following[0]) and len(following) > 1:
                tokens.append("abu" + _normal_word(following[1]))
                i += 3
            else:
                tokens.append("abu" + _normal_word(following[0]))
                i += 2
        elif following and ARTICLE.match(word):
            if following[0] in _DIN_WORDS and tokens:
                tokens[-1] = _din(tokens[-1])
                i += 2
            else:
                i += 1
        elif word in _DIN_WORDS and tokens:
            tokens[-1] = _din(tokens[-1])
            i += 1
        else:
            tokens.append(_normal_word(word))
            i += 1
    return [token for token in tokens if token]


# --- spelling variants ---------------------------------------------------------------------------------------

#: Curated spelling variants: the first spelling of each line names the key all of them share.
#: Transliterations of one Arabic name and its Turkish, Persian, Kurdish and Somali forms are one line
#: (Mehmet is the Turkish form of Muhammad; Hatice of Khadija). Names that only look alike are not
#: (Hassan and Hussein, Muhammad and Mahmoud, Sayed and Said): the ranking, not the key, brings those up.
VARIANTS = """
muhammad: mohammed, mohammad, mohamad, mohamed, muhammed, muhamed, mouhammad, mohammod, mehmet, mehmed,
  mahomed, maxamed, mohd, mhd, muhamad, mohamid, muhammet
ahmad: ahmed, ahmet, ahmat, axmed, ahmmad, ehmed
mahmoud: mahmud, mahmut, mahmood, mehmud, mohamud, maxamuud, mahmod
mustafa: moustafa, mostafa, mustapha, mostapha, mustefa, mistefa, mustafe
ali: aly, alee, aliy, cali
omar: umar, omer, oemer, cumar, omor
osman: othman, uthman, usman, osmane, cusmaan, ousmane, otman
hussein: husayn, hussain, husain, huseyin, hossein, hosein, hoseyn, husseyn, xuseen, hussien, husein
hassan: hasan, hassen, xasan, hasen, hasson
khalid: khaled, halid, halit, khaleed, khalit, chaled, khalied
yusuf: youssef, yousef, yousif, yousuf, yusef, yosef, yussuf, youcef, yuusuf, yousof, yossef, yusof
ibrahim: ebrahim, ibraheem, ibrahem, brahim, ibraahim, ebrahem
ismail: ismael, esmail, ismaeel, smail, ismayil, ismaail
abdulrahman: abd al-rahman, abdurrahman, abdelrahman, abdul rahman, abdirahman, abdolrahman, abdulrehman,
  abdurahman, abdrahman, abd ar-rahman, abdel rahman, abderrahmane
abdullah: abdallah, abdulla, abd allah, abdollah, abdalla, abdellah, abdillahi, abdullahi, abdulah
abdulkadir: abd al-qadir, abdelkader, abdulqadir, abdulkader, abdiqadir, abdelqader, abdul qadir
abdulaziz: abd al-aziz, abdelaziz, abdiaziz, abdolaziz, abdul aziz
abdulkarim: abd al-karim, abdelkarim, abdulkareem, abdolkarim, abdulkerim
abdulhamid: abd al-hamid, abdelhamid, abdulhamit, abdolhamid, abdul hameed
abdulmalik: abd al-malik, abdelmalek, abdulmelik, abdolmalek
abubakr: abu bakr, abubakar, abubakir, ebubekir, abu baker, abubaker, abu bakar
jamal: cemal, gamal, djamel, jamaal, jamel
karim: kareem, kerim, karem
rashid: rasheed, resit, rachid, rashed, reshid, rasid, rashiid
said: saeed, sait, saiid, saed, saied
sayed: sayyid, seyit, seyyid, sayyed, seyyed
walid: waleed, velit, oualid, welid
tariq: tarek, tarik, tareq, tarak
samir: sameer, semir
bilal: bilel, belal, bilaal
hamza: hamzah, hamze, hamzeh
yasin: yaseen, yassin, yassine, yaasin
jafar: cafer, jaafar, djafar, jaffar, jafer, jaffer
hamid: hamit, hameed, hamed, hamiid
majid: macit, majeed, maged, mejid, majed, mecit
nasser: nasir, naser, nassir, naseer, nacer
faisal: faysal, feysal, faycal, faisel, faysel
saleh: salih, salehe, saalax
kamal: kemal, kamaal, kamel
zakaria: zakariya, zekeriya, zakariyya, zakariah, zakarya, zekeriyya
yahya: yehya, yahia, yahyah, yehia, yahye
yunus: younes, younis, yunis, yonis, yunes, younus
idris: idriss, edris, idrees, idrissa
suleiman: sulaiman, suleyman, soliman, sulayman, sleiman, suleman
ayyub: ayoub, eyup, ayub, ayoob, eyyup, ayuub
ilyas: elias, ilias, ilyes, ilyass, eliyas
musa: moussa, mousa, mussa, muse, muuse
isa: issa, eesa, iesa, ciise
anas: enes, anass
amir: emir, ameer
amin: emin, ameen, amien
ayman: aiman, eyman, aymen
nabil: nabeel, nebil, nabiil
adel: adil, adeel, aadil
aziz: azeez, aziiz
habib: habip, habeeb, habiib
najib: necip, najeeb, nadjib, najiib
rajab: recep, radjab, ragab, rajap
ramadan: ramazan, ramadhan, ramezan, ramdan
sharif: serif, cherif, shareef, sherif
zaid: zayd, zeyd, zeid
mahdi: mehdi, mahdy, mehdy
reza: riza, rida, ridha, redha, reda
mohsen: muhsin, mohsin, muhsen
jawad: cevat, javad, jawaad, cevad
javid: cavit, jawid, javed, javaid, cavid
farhad: ferhat, farhat, ferhad
qasim: kasim, qassem, kassem, qasem, gasim, kacem, qassim, ghasem
hakim: hakeem, hekim
hafiz: hafez, hafeez
naim: naeem, nayim
wahid: vahit, waheed, vahid, vahed
shafiq: sefik, shafik, chafik, shafeeq
tawfiq: tevfik, taufik, tawfik, toufic, toufik, tawfeeq
fuad: fuat, fouad
murad: murat, mourad, morad
rauf: raouf, raoof
yasser: yasir, yaser, yassir
ziad: ziyad, zeyad
abbas: abas
haidar: haydar, heidar, hayder, heydar, haider
jasim: jassim, casim, jasem, jassem
hashim: hashem, hasim, hachem
hisham: hisam, hicham, hesham
munir: mounir, moneer, muneer
anwar: enver, anour, anouar, anuar
mansour: mansur, mansoor, mensur
mazen: mazin
basil: basel, bassel, bassil
wael: wail, vail
ammar: amar
ghassan: gassan, ghasan
iyad: eyad
louay: luay, loay, luey, louai
marwan: mervan, marouane
osama: usama, usame, ousama, oussama
qais: kays, qays, kais
raed: raid
tamer: tamir
zuhair: zuheir, zuheyr, zouhair, zuhayr
imad: emad
khalil: halil, khaleel, xaliil
yaqub: yakup, yacoub, yaqoob, yakub, yaqoub, yakoub
dawud: davut, dawood, daoud, davud, dawoud, daud
harun: haroun, haroon, haaruun
hussam: husam, hossam
muhannad: mohannad, mohanad, muhanad
nuh: nooh, nouh
nur: noor, nour, nuur
nurdin: nur al-din, nureddin, nurettin, nuraddin, nuruddin, nooruddin, nour eddine, nuredin, noureddine
salahdin: salah al-din, selahattin, salahuddin, salah ad-din, salaheddine, salahaddin
alaadin: alaa al-din, alaaddin, aladdin, alaeddin
shams: sems, chams
fatih: fateh
gul: ghul, gol
khan: han
shah: sah, chah
malik: malek, melik
zahir: zaher, dhahir
nazir: nazeer
wali: veli, waly
sher: shir, sheer
rahmatullah: rahmatulla, rahmetullah, rahmatollah
habibullah: habibulla, habibollah
najibullah: najibulla, necibullah
farah: faarax
abdi: cabdi
jama: jaamac, jamac
warsame: warsama, warsaame
hirsi: xirsi, hersi
aden: adan, aaden
# women
fatima: fatma, fatemeh, fatimah, faatima, fadime, fatuma, fatime, fatme, faduma
aisha: ayse, aysha, ayesha, aicha, aise, aishah, caasha, aishe, ayshe
khadija: hatice, khadijah, hadice, kadija, khadeeja, xadiijo, khadidja, hadija
zainab: zeynep, zaynab, zeinab, zenab, zeynab, zaineb, zeyneb
maryam: meryem, mariam, maryan, mariem, meriem, mariyam, miriam
zahra: zehra, zahraa, zohra
layla: leyla, leila, laila
huda: houda, hoda
yasmin: yasemin, yasmine, yasmeen, jasmin
salma: selma
sara: sarah, saara
hanan: xanan
asma: esma, asmaa
rania: ranya, raniya
samira: semira, sameera
nadia: nadya, nadja, nadiya, nadiye
safiya: safiye, safia, safiyya
halima: halime, haleema, xaliimo
ruqayya: rukiye, rukayya, roqaya, rukaya, ruqaya
hajar: hacer, hajer, hadjer
hawa: havva, hawwa, xaawo, hava
sumayya: sumeyye, sumaya, somaya
israa: esra, isra, esraa
duaa: dua, doaa
shaima: seyma, shaimaa, shayma, chaima
masuma: masoumeh, masume, masooma
shirin: sirin, sherin, shireen
nasrin: nesrin, nasreen
farida: feride, fareeda
jamila: cemile, djamila, jameela
karima: kerime, kareema
latifa: latife, lateefa
munira: munire, mounira
nafisa: nefise, nafeesa
rahima: rahime, raheema
habiba: habibe, habeeba
naima: naime, naeema
iman: eman, imane
amal: emel, amel
bushra: busra, bouchra, boshra
amina: emine, aminah, ameena
# family names
haddad: hadad, haddat, al-haddad
khatib: hatip, khateeb, hatib, khatip
masri: misri, masry
halabi: halebi, halaby
shami: chami, shamy
homsi: humsi, himsi
najjar: neccar, nadjar, naggar, najar
darwish: dervis, darvish, darwich, derwish
zoubi: zubi, zoabi, zuabi
rifai: rufai, refai
tamimi: temimi
jabouri: jubouri, jaburi, juburi
obeidi: ubaidi, obaidi, ubeydi
dulaimi: duleimi, dleimi, dulaymi
shammari: semmari, shamari
barzani: berzani
talabani: talebani
ahmadzai: ahmadzay, ahmedzai
karimi: kerimi
rahimi: rehimi
nuri: nouri, noori
hashimi: hashemi, hasimi, hashmi
mohammadi: muhammadi, mohamadi, mehmedi
ahmadi: ahmedi
hosseini: husseini, huseyni, hoseini, husaini, hussaini
rezaei: rezai, rizai, rezayi, rezaee
jafari: jaafari, jafary
mousavi: musavi, moosavi, musawi
sadeghi: sadiqi, sadeqi
ghasemi: qasemi, kasemi, qasimi
moradi: muradi
heidari: haydari, haidari, heydari
kazemi: kadhimi, kazimi
qureshi: kureshi, quraishi, qureishi
chaudhry: chaudhary, choudhry, chaudhri, choudhary
siddiqui: siddiqi, siddiki, sidiki
sheikh: shaikh, seyh, cheikh, sheik, shaykh
akhtar: akhter
iqbal: ikbal
rehman: rahman
odeh: awda, oudeh, ode, awdah, ouda
barghouti: barghouthi, bargouti, barguti
shahin: sahin, shaheen, chahine
jaber: jabir, cabir, gaber, jabr
arslan: aslan
"""

#: Names that look alike but are different names: they must keep different keys.
LOOKALIKES = (
    ("hassan", "hussein"),
    ("muhammad", "mahmoud"),
    ("said", "sayed"),
    ("saleh", "salah"),
    ("amir", "amer"),
    ("samir", "samer"),
    ("amin", "amina"),
    ("ali", "aliya"),
)


def _parse_variants(text: str) -> dict[str, tuple[str, ...]]:
    """{first spelling: all spellings} from the table above (a line that starts with a space continues)."""
    entries: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith(" ") and entries:
            entries[-1] += " " + line.strip()
        else:
            entries.append(line.strip())
    spellings: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        head, _, rest = entry.partition(":")
        names = [head.strip()] + [name.strip() for name in rest.split(",") if name.strip()]
        spellings[head.strip()] = tuple(dict.fromkeys(names))
    return spellings


VARIANT_SPELLINGS = _parse_variants(VARIANTS)


def loose(word: str) -> str:
    """A spelling with the differences that never tell two names apart taken out: doubled letters, ou/oo/ee,
    a final h after a vowel ("Fatimah"), an -e/-a ending ("Ayşe"/"Aysha" keep their own line)."""
    word = word.replace("ou", "u").replace("oo", "u").replace("ee", "i").replace("ph", "f")
    word = re.sub(r"(.)\1+", r"\1", word)
    if len(word) > 3 and word.endswith("h") and word[-2] in "aeiou":
        word = word[:-1]
    return word


def _variant_index() -> dict[str, str]:
    index: dict[str, str] = {}
    problems = []
    for head, names in VARIANT_SPELLINGS.items():
        key = "".join(name_tokens(head))
        for name in names:
            spelled = loose("".join(name_tokens(name)))
            if index.get(spelled, key) != key:
                problems.append(f"{name!r} is listed under {index[spelled]!r} and {key!r}")
            index[spelled] = key
    if problems:
        raise ValueError("Ambiguous name variants: " + "; ".join(problems))
    return index


VARIANT_INDEX = _variant_index()


@lru_cache(maxsize=65536)
def canonical(token: str) -> str:
    """One key for every spelling of a known name ("mehmet", "mohamad" → "muhammad"); other words stay."""
    if token.startswith("abd") and len(token) > 5 and token not in VARIANT_INDEX:
        found = VARIANT_INDEX.get(loose(token))
        if found:
            return found
        return "abd" + canonical(token[3:])
    return VARIANT_INDEX.get(loose(token), token)


# --- phonetic skeleton ---------------------------------------------------------------------------------------

_DIGRAPHS = (("kh", "h"), ("gh", "g"), ("sh", "s"), ("ch", "j"), ("th", "s"), ("dh", "z"), ("ph", "f"), ("zh", "j"))
_LETTER_CLASS = str.maketrans({"q": "k", "x": "h", "w": "v", "c": "j", "d": "t", "b": "p"})
_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=65536)
def _skeleton_of(word: str, digraphs: bool = True) -> str:
    if not word:
        return ""
    if digraphs:
        for digraph, letter in _DIGRAPHS:
            word = word.replace(digraph, letter)
    word = word.translate(_LETTER_CLASS)
    if len(word) > 3 and word.endswith("h"):
        word = word[:-1]
    first, rest = word[0], word[1:]
    head = "a" if first in _VOWELS and first != "y" else first
    # w/v inside a word is as often a vowel as not (و is "u" in Yusuf, "w" in Marwan, "v" in Parvin): dropped.
    body = "".join(ch for ch in rest if ch not in _VOWELS and ch != "v")
    return re.sub(r"(.)\1+", r"\1", head + body)


def skeleton(token: str, unvocalised: bool = False) -> str:
    """A loose phonetic key of a word: its first letter (any vowel as "a") and its consonants, with the
    letters that transliterations swap merged (kh/h, q/k, c/j, d/t, b/p, w/v, th/s, dh/z, Somali x/h),
    w/v dropped inside a word like the vowels, and doubles collapsed. "Mohammed", "Muhammad", "Mehmet"
    and "محمد" all give "mhmt".

    A known name's skeleton is its canonical spelling's, so "Ramazan" and "Ramadan" share one.
    """
    if unvocalised:  # transliterated from Arabic script: one letter per letter already, no digraphs
        return _skeleton_of(token, digraphs=False)
    return _skeleton_of(canonical(token))


# --- analysis of a name --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """One word of a name, with its keys."""

    text: str
    canonical: str
    skeleton: str
    #: From a name in Arabic script, where short vowels are not written: compare by skeleton only.
    unvocalised: bool = False
    #: The spelling without the differences that never tell names apart (see `loose`).
    loose: str = ""


@lru_cache(maxsize=65536)
def word(token: str, unvocalised: bool = False) -> Word:
    """One keyed word (cached: a registry has far fewer distinct words than people)."""
    return Word(
        token, token if unvocalised else canonical(token), skeleton(token, unvocalised), unvocalised, loose(token)
    )


@lru_cache(maxsize=65536)
def words(text: str) -> tuple[Word, ...]:
    """The words of a name in Latin or Arabic script, with their keys."""
    unvocalised = _in_arabic_script(text)
    return tuple(word(token, unvocalised) for token in name_tokens(text))


_JOINS_BEFORE = CONNECTORS | _DIN_WORDS
_JOINS_AFTER = CONNECTORS | _ABU_WORDS


@lru_cache(maxsize=65536)
def _stands_alone(part: str) -> bool:
    """Whether a part of a name gives the same words alone as next to the other parts (no particle at its ends)."""
    folded = fold(part).split()
    if not folded:
        return True
    first, last = folded[0], folded[-1]
    return not (
        first in _JOINS_BEFORE or ARTICLE.match(first) or last in _JOINS_AFTER or ARTICLE.match(last)
        or ABD_PREFIX.match(last)
    )  # fmt: skip


def name_words(*parts: str) -> tuple[Word, ...]:
    """The words of a name given in parts (first, father's, family name), as if written in one line.

    Parts are analysed one by one where that gives the same words, so that the analysis of a common first or
    family name is done once and cached, not once per person.
    """
    parts = tuple(part for part in parts if part and part.strip())
    mixed_scripts = len({_in_arabic_script(part) for part in parts}) > 1
    if not mixed_scripts and all(_stands_alone(part) for part in parts):
        return tuple(w for part in parts for w in words(part))
    return words(" ".join(parts))


#: Pairs are keyed for at most this many words of a name (a name of 6 words has 15 pairs).
MAX_PAIRED_WORDS = 6
KEY_LENGTH = 64
#: A word goes into a key cut to this length, so that two of them and the separator fit the key column.
WORD_KEY_LENGTH = (KEY_LENGTH - 1) // 2
#: Between the two words of a key. Keys are looked up by equality, and by the words they start with as a range:
#: the separator sorts before "}", which ends the range (see `starting_range`).
SEPARATOR = "|"


def pair_key(a: str, b: str) -> str:
    """The key of two words in this order (a lookup of two words asks for both orders: see `pair_keys`)."""
    return f"{a[:WORD_KEY_LENGTH]}{SEPARATOR}{b[:WORD_KEY_LENGTH]}"


def pair_keys(a: str, b: str) -> tuple[str, str]:
    """The keys a person named with both words has one of."""
    return pair_key(a, b), pair_key(b, a)


def starting_range(word: str) -> tuple[str, str]:
    """(lowest, above highest) of the keys that start with `word`: the person has that word."""
    start = word[:WORD_KEY_LENGTH] + SEPARATOR
    return start, start[:-1] + chr(ord(SEPARATOR) + 1)


def linked_keys(items: Sequence[str]) -> set[str]:
    """The keys of some distinct words: every two of them in one key ("a|b" or "b|a"), and every word at the
    start of at least one, so that a key lookup finds a person by any two of their words and a range of keys
    (`starting_range`) by any one. A name of three words has three keys, where keys of single words and pairs
    would take six."""
    if len(items) == 1:
        return {pair_key(items[0], "")}
    if len(items) == 2:
        return set(pair_keys(*items))
    last = len(items) - 1
    return {
        pair_key(items[j], items[i]) if (i, j) == (0, last) else pair_key(items[i], items[j])
        for i, j in combinations(range(len(items)), 2)
    }


def name_keys(latin: Sequence[Word], original: Sequence[Word] = ()) -> set[tuple[str, str]]:
    """(kind, key) rows for one person: "w" keys of canonical words (precise for a name spelled right or in a
    known variant), "p" keys of skeletons (for other spellings); see `linked_keys`. Words beyond the first
    `MAX_PAIRED_WORDS` are paired with the first word only."""
    keys: set[tuple[str, str]] = set()
    keyed: dict[str, set[str]] = {"w": set(), "p": set()}
    for form in (latin, original):
        canonicals = list(dict.fromkeys(w.canonical for w in form if w.canonical and not w.unvocalised))
        for kind, items in (("w", canonicals), ("p", skeletons_of(form))):
            if not items or (len(keyed[kind]) <= MAX_PAIRED_WORDS and keyed[kind].issuperset(items)):
                continue  # the name in original script has the words of the Latin one: its keys are there already
            keys.update((kind, key) for key in linked_keys(items[:MAX_PAIRED_WORDS]))
            keys.update((kind, pair_key(item, items[0])) for item in items[MAX_PAIRED_WORDS:])
            keyed[kind].update(items)
    return keys


def key_words(key: str) -> list[str]:
    """The words of a name key (one or two)."""
    return [word for word in key.split(SEPARATOR) if word]


def person_name_keys(
    first_name: str, father_name: str, family_name: str, original_name: str = ""
) -> set[tuple[str, str]]:
    """The name keys of a person: of their Latin names as one line, and of their name in original script."""
    return name_keys(name_words(first_name, father_name, family_name), words(original_name) if original_name else ())


# --- typos ---------------------------------------------------------------------------------------------------

#: Skeletons shorter than this are not widened for typos: one letter off "ht" is half the registry.
TYPO_MIN_LENGTH = 3


def deletions(key: str) -> set[str]:
    """The key and each form of it with one letter removed (symmetric-delete spelling correction)."""
    return {key} | {key[:i] + key[i + 1 :] for i in range(len(key))}


def filed_deletions(skeleton: str) -> set[str]:
    """The deletions a skeleton of the registry is filed under: only those a typed skeleton long enough to be
    widened (`TYPO_MIN_LENGTH`) can share with it."""
    shortest = TYPO_MIN_LENGTH - 1
    return {deletion for deletion in deletions(skeleton) if len(deletion) >= shortest}


def one_typo_apart(a: str, b: str) -> bool:
    """One letter added, removed, changed, or two neighbours swapped."""
    return DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1


# --- ranking -------------------------------------------------------------------------------------------------


class Agreement:
    """How the words of a name agreed with the words searched (shown to the registrar as a reason)."""

    EXACT = "exact"
    VARIANT = "variant"
    SIMILAR = "similar"
    ORIGINAL = "original"


def word_similarity(query: Word, other: Word) -> tuple[float, str]:
    """How alike two words are (0..1), and how: the same spelling, a known variant, or similar letters."""
    if query.unvocalised or other.unvocalised:
        # Arabic script on one side: its short vowels are not written, so only the skeletons compare.
        how = Agreement.ORIGINAL if other.unvocalised else Agreement.VARIANT
        if query.skeleton == other.skeleton:
            return 0.9, how
        return 0.85 * Levenshtein.normalized_similarity(query.skeleton, other.skeleton), how
    if query.text == other.text:
        return 1.0, Agreement.EXACT
    if query.canonical == other.canonical:
        return 0.95, Agreement.VARIANT
    similar = max(
        Levenshtein.normalized_similarity(query.text, other.text),
        Levenshtein.normalized_similarity(query.canonical, other.canonical),
        0.9 * Levenshtein.normalized_similarity(query.loose, other.loose),
    )
    return similar, Agreement.SIMILAR


#: A word of the person's name that the query does not mention lowers the score this much (a registrar
#: often leaves out the father's name).
UNMENTIONED_WORD_PENALTY = 0.03
#: A query word the person's name has no word left for counts this much (the name may be recorded shorter).
MISSING_WORD_CREDIT = 0.3


def match_score(
    query: Sequence[Word], name: Sequence[Word], seen: dict[tuple[int, str, bool], tuple[float, str]] | None = None
) -> tuple[float, set[str]]:
    """How well a person's name matches the words searched (0..1), in any order, and how they agreed.

    Each query word is paired with a different word of the name, best pairs first. `seen` keeps the word
    similarities of one search across the candidates it ranks (they share many words).
    """
    if not query or not name:
        return 0.0, set()
    seen = {} if seen is None else seen
    pairs = []
    for qi, q in enumerate(query):
        for ni, n in enumerate(name):
            known = (qi, n.text, n.unvocalised)
            found = seen.get(known)
            if found is None:
                found = seen[known] = word_similarity(q, n)
            pairs.append((found[0], qi, ni, found[1]))
    pairs.sort(key=lambda pair: -pair[0])
    used_query: set[int] = set()
    used_name: set[int] = set()
    total = 0.0
    agreements: set[str] = set()
    for similarity, qi, ni, how in pairs:
        if qi in used_query or ni in used_name:
            continue
        used_query.add(qi)
        used_name.add(ni)
        total += similarity
        if similarity >= 0.6:
            agreements.add(how)
    missing = len(query) - len(used_query)
    total += MISSING_WORD_CREDIT * missing
    score = total / len(query)
    score *= max(0.0, 1.0 - UNMENTIONED_WORD_PENALTY * (len(name) - len(used_name)))
    return min(score, 1.0), agreements


def query_words(text: str) -> list[Word]:
    """The distinct words of a search, in order."""
    seen: dict[str, Word] = {}
    for w in words(text):
        seen.setdefault(w.text, w)
    return list(seen.values())


def skeletons_of(items: Iterable[Word]) -> list[str]:
    """The distinct skeletons of some words, in order."""
    return list(dict.fromkeys(w.skeleton for w in items if w.skeleton))
