"""Carer details: details people mention in passing, as canonical entities only.

"My 15 year old daughter in Cheltenham, I'd rather text" gives
``age_group=under_18``, ``relationship=child``, ``nation=england``,
``region=Gloucestershire`` and ``contact_method=text``. Entity values are only
ever one of the fixed values in ``CANONICAL`` - never the words the person
typed (privacy: no raw user text may reach slots, logs or metadata). Start and
end offsets are kept, as Rasa expects, but nothing here logs or stores text.

How: a blank English spaCy pipeline (tokeniser only, no model download), a
``PhraseMatcher`` (``attr="LOWER"``) for word lists and a few ``Matcher``s for
token patterns (one per group of rules, run only when the message has one of
the group's trigger words), all built once per process. Small handlers then
check what a token pattern cannot (the number range, a unit after the number,
negation, a past-tense "was 14") and give a canonical value. Regular
expressions are used only inside single tokens the tokeniser leaves fused
("15yo", "60s", "year10"). Only the first ``MAX_CHARS`` characters are read:
longer messages get the fixed "too long" reply anyway (MessageGuard).

Resolution: when a message states different values for one entity (two age
bands, two nations...), that entity is left out as ambiguous - except
``relationship``, where the first "my/our X" mention wins.

In Rasa: ``CarerDetailsExtractor`` (an entity extractor, not trained). Outside
Rasa (tests, actions): ``find_details(text) -> {entity: value}``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
)

import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from spacy.attrs import LOWER
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

AGE_GROUP = "age_group"
RELATIONSHIP = "relationship"
NATION = "nation"
REGION = "region"
CONTACT_METHOD = "contact_method"
SERVICE_FOR = "service_for"

UNDER_18 = "under_18"
AGE_18_24 = "18_to_24"
AGE_25_55 = "25_to_55"
OVER_55 = "over_55"
ENGLAND = "england"
GLOUCESTERSHIRE = "Gloucestershire"

# The only values this component can ever emit (the domain's slot values).
CANONICAL: Dict[str, FrozenSet[str]] = {
    AGE_GROUP: frozenset({UNDER_18, AGE_18_24, AGE_25_55, OVER_55}),
    RELATIONSHIP: frozenset({"child", "partner", "parent", "sibling", "friend", "other_family"}),
    NATION: frozenset({ENGLAND, "scotland", "wales", "northern_ireland"}),
    REGION: frozenset({GLOUCESTERSHIRE}),
    CONTACT_METHOD: frozenset({"phone", "text", "online"}),
    SERVICE_FOR: frozenset({"carer", "loved_one"}),
}
# Rasa's own key for an entity's confidence (as DIET writes it).
CONFIDENCE_KEY = f"{ENTITY_ATTRIBUTE_CONFIDENCE}_{ENTITY_ATTRIBUTE_TYPE}"
# Same length as the original, so spaCy's character offsets stay valid.
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'"})

# --- Numbers ----------------------------------------------------------------

_ONES = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
# Digits 1-110 only: "999", "2019", "0800" or "116" are never in the list.
NUMBERS: Dict[str, int] = {
    **{str(n): n for n in range(1, 111)}, **_ONES, **_TEENS, **_TENS,
}
MAX_AGE = 110
# As MessageGuard's limit: longer messages get a fixed reply, and this bounds the time.
MAX_CHARS = 2000
# A bare "is N" needs N >= 5 ("it is 3" is a time, not an age).
MIN_BARE_AGE = 5
# Words after a number that make it a quantity, time or measure, not an age.
UNITS = frozenset(
    """seconds second secs sec minutes minute mins min hours hour hrs hr h days day weeks
    week wks wk months month mths years year yrs yr decades times time x percent per %
    pounds pound £ quid p pence kg kgs kilos kilo lbs lb stone st tablets tablet pills pill
    paracetamol mg ml g grams gram cm mm m metres meters miles mile km ft foot feet inch
    inches am pm a.m. p.m. o'clock oclock sessions session appointments appointment people
    others cuts marks stitches scars steps calls texts messages out of / + :""".split()
)
# A number next to another number ("15-16", "15 to 20") is a range or a count.
_RANGE_LINKS = frozenset({"-", "to", "or", "/", "in"})
# "was 14", "when she was a 14 year old": an age in the past, not now.
_PAST = frozenset({"was", "were", "wasnt"})
# "at age 12", "since age 13": when something began, not the age now.
_AGE_START = frozenset({"at", "since", "from", "by", "until", "till", "before", "after", "of"})
_SENTENCE_STOP = frozenset({".", "!", "?", ";", ",", ":"})

# Tokens the tokeniser leaves fused ("15yo", "under-18s", "year10"): regular
# expressions, because a token pattern cannot look inside a token.
_FUSED = (
    r"^(?:\d{1,3}(?:yo|y\.o\.?|y|yrs?|years?)|(?:under|over)-?\d{1,3}(?:'?s)?"
    r"|(?:year|yr|y)\d{1,2})$"
)
_FUSED_PARTS = re.compile(
    r"^(?:(?P<age>\d{1,3})(?P<unit>yo|y\.o\.?|y|yrs?|years?)"
    r"|(?P<side>under|over)-?(?P<limit>\d{1,3})(?:'?s)?"
    r"|(?:year|yr|y)(?P<school>\d{1,2}))$"
)
_DIGITS = re.compile(r"\d+")
_MIXED = re.compile(r"\d[^\W\d]|[^\W\d]\d")  # "15yo", "year10": fused tokens
_AGES_TOKEN = r"^\d{1,3}'?s$"  # the "18s" of "under 18s"
# "60s", "mid-40s", "60" + "'s", "sixties"
_DECADE = (
    r"^(?:(?:early|mid|late)-)?\d0(?:'?s)?$"
    r"|^(?:teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)$"
)
_DECADE_PARTS = re.compile(r"^(?:(early|mid|late)-)?(\d0)('?s)?$")
_DECADE_WORDS = {
    "teens": 10, "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50,
    "sixties": 60, "seventies": 70, "eighties": 80, "nineties": 90,
}

# --- Word lists -------------------------------------------------------------

# Relationship nouns after "my"/"our" (lower case; spaces separate tokens, a
# hyphen between them is optional: "mother-in-law", "step-son").
RELATIONSHIP_WORDS: Dict[str, Sequence[str]] = {
    "child": (
        "son", "sons", "daughter", "daughters", "child", "children", "kid", "kids", "lad",
        "lads", "boy", "boys", "girl", "girls", "stepson", "stepsons", "stepdaughter",
        "stepdaughters", "stepchild", "stepchildren", "stepkid", "stepkids", "teen", "teens",
        "teenager", "teenagers", "youngest", "eldest", "oldest", "little one", "little ones",
        "bairn", "bairns", "ds", "dd", "daugther", "duaghter", "daugter", "doughter",
        "dauhter",
    ),
    "partner": (
        "partner", "husband", "wife", "boyfriend", "girlfriend", "fiance", "fiancé",
        "fiancee", "fiancée", "other half", "hubby", "spouse", "missus", "significant other",
        "bf", "gf", "dh", "dp", "boyfreind", "girlfreind", "partener", "husbund",
    ),
    "parent": (
        "mum", "mom", "mam", "mother", "father", "dad", "parent", "parents", "mummy", "mommy",
        "daddy", "stepmum", "stepmom", "stepdad", "stepfather", "stepmother", "mumm",
    ),
    "sibling": (
        "brother", "brothers", "sister", "sisters", "sibling", "siblings", "sis", "bro",
        "twin", "stepbrother", "stepsister", "brohter", "sistor",
    ),
    "friend": (
        "friend", "friends", "mate", "mates", "bestie", "bff", "flatmate", "housemate",
        "roommate", "pal", "freind", "frend", "bestfriend", "bestmate",
    ),
    "other_family": (
        "grandson", "granddaughter", "grandaughter", "grandchild", "grandchildren",
        "grandkid", "grandkids", "grand son", "grand daughter", "niece", "nephew", "neice",
        "cousin", "aunt", "auntie", "aunty", "uncle", "gran", "granny", "grandad", "granddad",
        "grandpa", "grandma", "grandmother", "grandfather", "grandparent", "grandparents",
        "nan", "nana", "nanna", "mother in law", "father in law", "sister in law",
        "brother in law", "son in law", "daughter in law", "in laws", "inlaws",
    ),
}
# Words allowed between "my" and the noun: "my 15 year old son", "my eldest
# daughter", "my best friend", "my step-son", "my half brother".
MODIFIERS = frozenset(
    """little younger youngest older oldest eldest elder big baby teenage teen teenaged
    adult grown grown-up up step twin only beloved dear darling lovely beautiful precious
    dearest best closest close good great grand significant new other adopted foster half
    middle autistic disabled wee poor sweet own gorgeous uni school work college childhood
    elderly aging ageing ill sick poorly vulnerable young troubled amazing fantastic
    wonderful - year years yr yrs old yo y / o y.o""".split()
) | frozenset(NUMBERS)

AGE_WORDS: Dict[str, Sequence[str]] = {
    UNDER_18: (
        "teenage", "teenager", "teenagers", "teen", "teens", "teenaged", "adolescent",
        "adolescents", "toddler", "still at school", "still in school", "secondary school",
        "primary school", "high school", "sixth form", "sixth former", "gcses", "gcse",
        "a-levels", "a levels", "camhs", "teanager", "teenger",
    ),
    OVER_55: (
        "elderly", "pensioner", "pensioners", "oap", "old age pensioner", "senior citizen",
        "retired", "retiree",
    ),
}

# Places: every name gives its nation; these also give the Gloucestershire region.
GLOUCESTERSHIRE_PLACES = (
    "gloucestershire", "gloucester", "cheltenham", "stroud", "tewkesbury", "cirencester",
    "forest of dean", "glos", "gloucs", "glocestershire", "gloucester shire", "glouster",
    "lydney", "coleford", "cinderford", "dursley", "nailsworth", "newent", "tetbury",
    "winchcombe", "wotton-under-edge", "bishops cleeve", "quedgeley", "moreton-in-marsh",
    "stow-on-the-wold", "bourton-on-the-water", "painswick", "chelt",
)
NATION_PLACES: Dict[str, Sequence[str]] = {
    ENGLAND: (
        "england", "london", "birmingham", "manchester", "liverpool", "leeds", "sheffield",
        "bristol", "newcastle", "nottingham", "leicester", "coventry", "bradford", "hull",
        "stoke", "stoke-on-trent", "wolverhampton", "plymouth", "southampton", "portsmouth",
        "derby", "brighton", "norwich", "exeter", "york", "oxford", "cambridge",
        "milton keynes", "swindon", "luton", "northampton", "peterborough", "sunderland",
        "middlesbrough", "blackpool", "bournemouth", "ipswich", "colchester", "chelmsford",
        "canterbury", "lincoln", "worcester", "hereford", "salisbury", "winchester",
        "carlisle", "lancaster", "preston", "bolton", "wigan", "stockport", "oldham",
        "rochdale", "warrington", "chester", "crewe", "huddersfield", "wakefield",
        "doncaster", "rotherham", "barnsley", "gateshead", "darlington", "harrogate",
        "scarborough", "blackburn", "burnley", "slough", "watford", "st albans", "guildford",
        "woking", "crawley", "maidstone", "basingstoke", "torquay", "truro", "taunton",
        "yeovil", "weymouth", "shrewsbury", "telford", "walsall", "solihull", "nuneaton",
        "leamington", "kettering", "bedford", "stevenage", "southend", "basildon", "dover",
        "margate", "eastbourne", "worthing", "chichester", "hove", "croydon", "salford",
        "bath and north east somerset", "bedfordshire", "berkshire", "buckinghamshire",
        "cambridgeshire", "cheshire", "cornwall", "cumbria", "derbyshire", "devon", "dorset",
        "county durham", "co durham", "durham", "east sussex", "essex", "hampshire",
        "herefordshire", "hertfordshire", "isle of wight", "kent", "lancashire",
        "leicestershire", "lincolnshire", "merseyside", "norfolk", "northamptonshire",
        "northumberland", "nottinghamshire", "oxfordshire", "rutland", "shropshire",
        "somerset", "staffordshire", "suffolk", "surrey", "sussex", "west sussex",
        "tyne and wear", "warwickshire", "west midlands", "east midlands", "wiltshire",
        "worcestershire", "yorkshire", "north yorkshire", "south yorkshire", "west yorkshire",
        "east yorkshire", "greater manchester", "greater london", "cotswolds",
        "south gloucestershire", "teesside", "wirral",
    ),
    "scotland": (
        "scotland", "glasgow", "edinburgh", "aberdeen", "dundee", "inverness", "stirling",
        "perth", "paisley", "east kilbride", "livingston", "falkirk", "ayr", "kilmarnock",
        "dumfries", "fife", "aberdeenshire", "lanarkshire", "ayrshire", "renfrewshire",
        "dunbartonshire", "lothian", "west lothian", "east lothian", "midlothian",
        "scottish borders", "argyll", "moray", "orkney", "shetland", "western isles",
        "hebrides", "oban", "fort william", "motherwell", "greenock", "cumbernauld",
        "airdrie", "coatbridge", "dunfermline", "kirkcaldy", "st andrews", "elgin",
        "arbroath", "galashiels", "clydebank", "scottish highlands",
    ),
    "wales": (
        "wales", "cymru", "cardiff", "swansea", "newport", "wrexham", "aberystwyth",
        "carmarthen", "llanelli", "bridgend", "caerphilly", "pontypridd", "merthyr",
        "merthyr tydfil", "neath", "port talbot", "rhondda", "llandudno", "rhyl",
        "colwyn bay", "pembrokeshire", "carmarthenshire", "ceredigion", "powys", "gwynedd",
        "anglesey", "conwy", "denbighshire", "flintshire", "monmouthshire", "torfaen",
        "blaenau gwent", "vale of glamorgan", "glamorgan", "snowdonia", "haverfordwest",
        "brecon", "abergavenny", "cwmbran", "ebbw vale", "holyhead", "caernarfon",
        "pontypool", "aberdare",
    ),
    "northern_ireland": (
        "northern ireland", "n ireland", "n. ireland", "belfast", "derry", "londonderry",
        "lisburn", "newry", "armagh", "antrim", "county antrim", "co antrim", "county down",
        "co down", "co. down", "county tyrone", "co tyrone", "fermanagh", "enniskillen",
        "omagh", "coleraine", "ballymena", "craigavon", "portadown", "lurgan", "larne",
        "carrickfergus", "newtownabbey", "strabane", "dungannon", "cookstown", "magherafelt",
        "limavady", "banbridge", "holywood", "downpatrick",
    ),
}
# Place names that are also ordinary words or first names: only with Title
# case right after "in", "near", "from"... ("we live in Reading", not "reading").
CONTEXT_PLACES: Dict[str, Sequence[str]] = {
    ENGLAND: ("Reading", "Bath", "Bury", "Sale", "Wells", "Poole", "Dudley"),
    "scotland": ("Angus", "Hamilton", "Irvine"),
    "wales": ("Barry", "Flint", "Mold"),
}
_PLACE_CUES = ("in", "near", "from", "around", "outside", "to", "live", "lives", "nr")
# Longer names that contain a nation's name but are elsewhere.
NOT_UK_PLACES = ("new england", "new south wales", "new york", "perth australia")

_BE_FORMS = ("is", "'s", "s", "are", "'re", "re", "am", "'m", "m")

# Contact methods. A word names one means wherever it appears in a frame
# below ("I'd rather text", "by text", "text them", "texting is easier").
METHOD_WORDS: Dict[str, Sequence[str]] = {
    "phone": (
        "phone", "phoning", "call", "calls", "calling", "ring", "ringing", "telephone",
        "phonecall", "phonecalls", "bell", "buzz",
    ),
    "text": (
        "text", "texts", "texting", "txt", "sms", "message", "messages", "messaging",
        "whatsapp",
    ),
    "online": ("email", "emails", "emailing", "online", "webchat", "internet", "chat"),
}
# "chat" is online only after "by/via/over" ("prefer to chat" may be a call);
# "bell"/"buzz" only in "give them a bell".
_MEANS_ONLY = frozenset({"chat", "internet", "bell", "buzz"})
_METHOD_OF: Dict[str, str] = {
    word: method for method, words in METHOD_WORDS.items() for word in words
}
_METHODS = frozenset(_METHOD_OF) - _MEANS_ONLY
# Verbs that take a contact: "ring them", "email someone" (never "call him":
# that is contacting the person they care for, not a service).
_CONTACT_VERBS = ("call", "phone", "ring", "telephone", "text", "message", "txt", "email",
                  "whatsapp")
_CONTACT_OBJECTS = ("them", "me", "someone", "somebody", "anyone", "anybody", "you", "u")
_CONTACT_SERVICES = ("helpline", "line", "service", "counsellor", "number", "charity",
                     "professional", "team")
# Service-like compounds that name a means on their own (PhraseMatcher).
METHOD_COMPOUNDS: Dict[str, Sequence[str]] = {
    "phone": (
        "phone line", "phoneline", "phone support", "telephone support", "telephone helpline",
        "phone helpline", "phone service", "talk on the phone", "speak on the phone",
    ),
    "text": (
        "text service", "text line", "textline", "text support", "text helpline",
        "texting service", "text based", "text-based", "sms",
    ),
    "online": (
        "webchat", "web chat", "web-chat", "live chat", "livechat", "online chat",
        "chat online", "talk online", "talking online", "speak online", "online support",
        "support online", "help online", "online help", "online service", "online services",
        "online forum", "online forums", "forum", "forums", "online group", "online groups",
        "online community", "email support", "chat service", "by e-mail", "via e-mail",
        "e-mail support", "prefer e-mail", "e-mailing", "e-mail them",
    ),
}
# Words that show a preference or ability just before a means.
PREFERENCE = (
    "prefer", "preferably", "preferred", "prefered", "rather", "like", "want", "wanna",
    "happy", "able", "can", "could", "may", "easier", "option", "possible", "ok", "okay",
    "comfortable", "better", "need", "only", "mind",
)
# Filler allowed between the preference and the means: "rather just message".
_GAP = (
    "to", "a", "an", "the", "i", "we", "be", "just", "really", "only", "do", "it", "have",
    "use", "get", "go", "me", "us", "you", "'d", "d", "much", "rather", "more", "by",
    "contact", "them", "someone", "talk", "speak", "touch", "in",
)
_JUDGEMENTS = (
    "easier", "easiest", "better", "best", "preferable", "preferred", "ideal", "fine",
    "good", "great", "ok", "okay", "perfect", "works",
)
# A short message of only these and means is a plain answer: "Text please".
_ANSWER_FILLER = frozenset({
    "please", "pls", "plz", "thanks", "thank", "you", "ok", "okay", "preferably",
    "ideally", "probably", "by", "via", "over", "the", "a", "i", "think", "prefer", "'d",
    "rather", ".", "!", ",", "?", "-", "just", "x", "xx", "is", "best", "fine",
})
_ANSWER_MAX_TOKENS = 8
# Negation or dislike before a means: "I can't phone", "hate calling".
NEGATIONS = frozenset(
    """not n't nt no never dont cant wont cannot without avoid hate hates dread scared
    afraid terrified anxious nervous struggle struggles struggling hard difficult unable
    than instead except""".split()
)
# Where a negation stops reaching: "I can't phone but I can text".
_CLAUSE_STOP = frozenset(
    """. , ; ! ? : but so and or though although because cos coz however""".split()
)
# "call 999", "ring an ambulance": an emergency step, not a contact preference.
_EMERGENCY = frozenset(
    """999 111 911 112 police ambulance ambulances emergency doctor doctors gp a&e
    hospital cops""".split()
)
_MEANS_PREPOSITIONS = ("by", "via", "over", "through", "using", "on")
_STATE_WORDS = frozenset(set(_BE_FORMS) | {"was", "were", "been", "be", "always", "constantly",
                                           "still", "all", "stay", "staying", "stayed"})
# "the phone bill": the means only names a thing.
_METHOD_AS_MODIFIER = frozenset({"bill", "bills", "contract", "screen", "records", "battery",
                                 "charger", "number", "numbers", "address"})
# The person they care for as object: "text him" is not about services.
_LOVED_OBJECTS = frozenset({"him", "her", "his", "my", "our", "their"})
_POSSESSIVES = frozenset({"his", "her", "my", "their", "our", "your", "the"})

# "it's hard for me to...", "I'm worried for her": no request for support.
_NOT_FOR = frozenset(
    """hard difficult easy much impossible possible ok okay alright tough confusing
    upsetting scary stressful draining overwhelming exhausting normal unusual common bad
    worried worry scared afraid frightened terrified feel felt feeling sorry fear fears
    anxious concerned pray praying happy proud like care cares cared caring responsible
    better worse safer future""".split()
)
_FOR_CARER = ("me", "myself", "meself", "carers", "parents")
_FOR_LOVED_ONE = ("him", "her", "them", "himself", "herself", "themselves")
LOVED_ONE_PHRASES = (
    "loved one", "person i care for", "person i look after", "person i support",
    "someone i care for", "someone i care about", "someone i look after", "someone i love",
)

# Age: who can have one ("she's 16", "my son is 15", "Tom's 15").
_SUBJECT_WORDS = frozenset({"he", "she", "they", "i", "who", "u"}) | frozenset(
    word for words in RELATIONSHIP_WORDS.values() for word in words if " " not in word
)
_NOT_NAMES = frozenset(
    """january february march april may june july august september october november
    december monday tuesday wednesday thursday friday saturday sunday year number page
    question score level step room chapter week day time""".split()
)
# Words that may sit between a subject and its age: "she's just turned 16".
_AGE_ADVERBS = ("only", "just", "nearly", "almost", "about", "around", "roughly", "approx",
                "approximately", "now", "barely", "already", "still", "aged")
_SUBJECT_SKIP = frozenset({"has", "'s", "s", "just", "only", "recently", "now", "will",
                           "'ll", "ll"})
# Before "under 18"/"over 55": who it is about ("people over 55", "she's under 18").
_OVER_UNDER_CUES = frozenset(set(_BE_FORMS) | set(_AGE_ADVERBS) | {
    "aged", "age", "for", "the", "people", "someone", "anyone", "adults", "children",
    "kids", "young", "those", "person",
})
_SCHOOL_CUES = ("in", "into", "starting", "start", "entering", "'s", "is", "s", "are", "'re")
_SCHOOL_NOUNS = ("student", "students", "pupil", "pupils", "class", "exams", "mocks",
                 "options", "kid", "girl", "boy")
_POSSESSIVE_PRONOUNS = ("his", "her", "their", "my", "our", "your", "thier")

# --- Token patterns -----------------------------------------------------------

Token = Dict[str, Any]
Pattern = List[Token]


def _in(words: Iterable[str], op: Optional[str] = None) -> Token:
    token: Token = {"LOWER": {"IN": sorted(set(words))}}
    if op:
        token["OP"] = op
    return token


def _word(word: str, op: Optional[str] = None) -> Token:
    token: Token = {"LOWER": word}  # a plain value is checked natively: faster than IN
    if op:
        token["OP"] = op
    return token


def _regex(expression: str) -> Token:
    return {"LOWER": {"REGEX": expression}}


def _hyphen() -> Token:
    return {"ORTH": "-", "OP": "?"}


# A number ("15", "fifteen"; "twenty-one" is read from its last word back).
# LIKE_NUM is checked natively; the handlers keep only 1-110.
_NUM: Token = {"LIKE_NUM": True}
_MY = _in(("my", "our"))
_MODS = _in(MODIFIERS, "*")


def _year_old(prefix: Pattern) -> List[Pattern]:
    """``prefix`` then "year old" in its written forms."""
    return [
        prefix + [_hyphen(), _in(("year", "years", "yr", "yrs")), _hyphen(),
                  _in(("old", "olds"))],
        prefix + [_in(("yo", "y.o", "y.o."))],
        prefix + [_word("y"), {"ORTH": "/"}, _in(("o", "o."))],
    ]


def _token_rules() -> Dict[str, List[Pattern]]:
    """Matcher rules by key ("KIND" or "KIND|value"); the kind names the handler.

    Each pattern is matched at every token, so there are few and their first
    token is cheap; what a pattern cannot say is checked by the handler.
    """
    all_rel = list(_RELATION_OF)
    rules: Dict[str, List[Pattern]] = {
        # "15 year old", "a 17-year-old", "15 yo", "16 y/o", "15 years of age" (and
        # the handler reads "16 and 18 year olds").
        "AGE_EXPLICIT": [
            *_year_old([_NUM]),
            [_NUM, _in(("years", "yrs")), _word("of"), _word("age")],
        ],
        # "aged 19", "age 15", "age: 15".
        "AGE_AGED": [[_in(("aged", "age")), {"ORTH": ":", "OP": "?"}, _NUM]],
        # "<subject> is 16", "'s nearly 15", "'ll be 16", "just turned 16".
        "AGE_BE": [
            [_in(_BE_FORMS), _in(_AGE_ADVERBS, "?"), _in(_AGE_ADVERBS, "?"), _NUM],
            [_in(("'ll", "ll", "will")), _word("be"), _NUM],
            [_in(("turned", "turns", "turning")), _NUM],
        ],
        # "my son, 15, ..." / "my daughter (16)".
        "AGE_APPOS": [[_in(all_rel), _in((",", "(")), _NUM]],
        # "she's under 18", "aged over 55", "people over 60", "under 18s".
        "AGE_OVER_UNDER": [
            [_in(("under", "over")), _NUM],
            [_in(("under", "over")), _hyphen(), _regex(_AGES_TOKEN)],
        ],
        # "in his 60s", "in her early twenties", "in their mid-40s", "in his 60's".
        "AGE_DECADE": [
            [_word("in"), _in(_POSSESSIVE_PRONOUNS), _in(("early", "mid", "late"), "?"),
             _hyphen(), _regex(_DECADE), _in(("'s", "s"), "?")],
        ],
        # "in year 10", "she's in yr 9", "year 11 student".
        "AGE_SCHOOL_YEAR": [
            [_in(_SCHOOL_CUES), _in(("year", "yr", "y")), _NUM],
            [_in(("year", "yr")), _NUM, _in(_SCHOOL_NOUNS)],
        ],
        # "15yo", "16y/o", "15yrs old", "under-18s", "year10".
        "FUSED": [[_regex(_FUSED)]],
        # "my 15 year old", "our 16yo" (a number is checked by the handler).
        "REL_AGE|child": [
            [_MY, _MODS, _in(("old", "olds", "yo", "y.o", "y.o.", "o", "o."))],
            [_MY, _MODS, _regex(_FUSED)],
        ],
        # "for him/her/them", "for me", "for me and my son" (both: ambiguous).
        "SF|loved_one": [[_word("for"), _in(_FOR_LOVED_ONE)]],
        "SF|carer": [[_word("for"), _in(_FOR_CARER)]],
        "SF|both": [
            [_word("for"), _in(("me", "myself")), _in(("and", "&")),
             _in(("my", "our", "him", "her", "them"))],
            [_word("for"), _in(("him", "her", "them")), _in(("and", "&")),
             _in(("me", "myself"))],
        ],
        # Contact: the means ends a "pre" match and starts a "post" one.
        "CM|pre": [
            # "I'd rather text", "can I call", "prefer to do it online".
            [_in(PREFERENCE), _in(_GAP, "?"), _in(_GAP, "?"), _in(_GAP, "?"), _in(_METHODS)],
            # "by text", "over the phone", "via email", "on whatsapp", "via chat".
            [_in(_MEANS_PREPOSITIONS), _in(("the", "a", "an"), "?"), _in(_METHOD_OF)],
            # "give them a ring", "send someone a text", "drop them an email".
            [_in(("give", "send", "drop")), _in(("them", "someone", "you", "us")),
             _in(("a", "an")), _in(_METHOD_OF)],
        ],
        "CM|post": [
            # "ring them", "email someone", "call a helpline".
            [_in(_CONTACT_VERBS), _in(_CONTACT_OBJECTS)],
            [_in(_CONTACT_VERBS), _in(("a", "the")), _in(_CONTACT_SERVICES)],
            # "texting is easier", "phone is fine", "email would be best".
            [_in(_METHODS), _in(("is", "'s", "s", "would", "will", "seems"), "?"),
             _word("be", "?"), _in(_JUDGEMENTS)],
        ],
        # "phone or text", "call/text": both, so ambiguous.
        "CM|pair": [[_in(_METHODS), _in(("or", "and", "/", "&")), _in(_METHODS)]],
        # "we live in Reading" (not "reading about it").
        "PLACE_CUE": [[_in(_PLACE_CUES),
                       {"ORTH": {"IN": sorted(_CONTEXT_PLACE_NATION)}}]],
    }
    # "my son", "our eldest daughter", "my 15 year old son", "my half brother",
    # "my other half" (the handler reads the value from the last words).
    rules["REL"] = [
        [_MY, _MODS, _in([*all_rel, *_TWO_WORD_NOUNS])],
        [_MY, _word("in"), _hyphen(), _in(("laws", "law"))],
    ]
    return rules


_RELATION_OF: Dict[str, str] = {
    word: value for value, words in RELATIONSHIP_WORDS.items() for word in words
    if " " not in word
}
# Two-word nouns, by their last word: the word before it -> relationship
# ("my other half", "my little one", "my in-laws"); "-in-law" after a noun is
# read by the handler.
_TWO_WORD_NOUNS: Dict[str, Dict[str, str]] = {
    "half": {"other": "partner"},
    "other": {"significant": "partner"},
    "one": {"little": "child"},
    "ones": {"little": "child"},
    "law": {"in": "other_family"},
    "laws": {"in": "other_family"},
}
_CONTEXT_PLACE_NATION: Dict[str, str] = {
    name: nation for nation, names in CONTEXT_PLACES.items() for name in names
}


def _phrase_lists() -> Dict[str, Iterable[str]]:
    """PhraseMatcher lists by key ("KIND|value")."""
    lists: Dict[str, Iterable[str]] = {
        f"AGEWORD|{value}": words for value, words in AGE_WORDS.items()
    }
    lists.update({f"PLACE|{value}": names for value, names in NATION_PLACES.items()})
    lists["PLACE|region"] = GLOUCESTERSHIRE_PLACES
    lists["PLACE|none"] = NOT_UK_PLACES
    lists.update({f"CM|compound|{value}": words for value, words in METHOD_COMPOUNDS.items()})
    lists["SF_PHRASE|loved_one"] = LOVED_ONE_PHRASES
    return lists


# Per group of rules, the words one of which a message needs for the group to
# run: a matcher call has a fixed cost, so most messages skip most groups.
_GROUP_TRIGGERS: Dict[str, FrozenSet[str]] = {
    "AGE": frozenset(),  # any number: checked apart
    "FUSED": frozenset(),  # a token mixing digits and letters ("15yo"): checked apart
    "REL": frozenset({"my", "our"}),
    "SF": frozenset({"for"}),
    "CM": frozenset(_METHOD_OF),
    "PLACE": frozenset(name.lower() for name in _CONTEXT_PLACE_NATION),
}


def _group(key: str) -> str:
    return next(group for group in _GROUP_TRIGGERS if key.startswith(group))


# --- Matching -----------------------------------------------------------------


@dataclass(frozen=True)
class Detail:
    """One detail found: entity, canonical value and where (offsets only, never words)."""

    entity: str
    value: str
    start: int  # character offsets in the message
    end: int


@dataclass(frozen=True)
class _Found:
    """A detail while matching: token offsets (characters only for the ones kept)."""

    entity: str
    value: str
    token: int
    end: int


class _Matchers:
    """The spaCy pipeline and matchers, built once per process (``matchers()``)."""

    def __init__(self) -> None:
        self.nlp: Language = spacy.blank("en")
        self.groups: Dict[str, Matcher] = {}
        for key, patterns in _token_rules().items():
            group = _group(key)
            if group not in self.groups:
                self.groups[group] = Matcher(self.nlp.vocab, validate=True)
            self.groups[group].add(key, patterns)
        self.phrases = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for key, words in _phrase_lists().items():
            self.phrases.add(key, list(self.nlp.tokenizer.pipe(words)))
        strings = self.nlp.vocab.strings
        self.numbers = frozenset(strings.add(w) for w in (*NUMBERS, *_DECADE_WORDS))
        self.triggers = {group: frozenset(strings.add(w) for w in words)
                         for group, words in _GROUP_TRIGGERS.items()}

    def matches(self, doc: Doc, text: str) -> List[Tuple[str, int, int]]:
        """(key, start, end) of every match in ``doc`` (of ``text``), running only the
        groups that can match."""
        # Lower-case word ids straight from the doc, and the text as given
        # (doc.text and token loops build Python objects: slow).
        words = set(doc.to_array(LOWER).tolist())
        has_number = not self.numbers.isdisjoint(words) or bool(_DIGITS.search(text))
        runs = {"AGE": has_number, "FUSED": bool(_MIXED.search(text))}
        found = list(self.phrases(doc))
        for group, matcher in self.groups.items():
            if runs.get(group, False) or not self.triggers[group].isdisjoint(words):
                found.extend(matcher(doc))
        strings = self.nlp.vocab.strings
        return [(strings[match_id], start, end) for match_id, start, end in found]

    def details(self, text: str) -> Tuple[Doc, List[_Found]]:
        text = text.translate(_APOSTROPHES)
        doc = self.nlp.make_doc(text)
        found: List[_Found] = []
        places: List[Tuple[int, int, str]] = []
        for key, start, end in self.matches(doc, text):
            kind, _, value = key.partition("|")
            if kind in ("PLACE", "PLACE_CUE"):
                places.append((start, end, value or _CONTEXT_PLACE_NATION[doc[end - 1].text]))
                continue
            for entity, detail_value in _HANDLERS[kind](doc, start, end, value):
                found.append(_Found(entity, detail_value, start, end))
        found.extend(_places(doc, places))
        found.extend(_contact_answer(doc))
        return doc, found


@lru_cache(maxsize=1)
def matchers() -> _Matchers:
    """The shared pipeline: building it takes a moment, matching is fast."""
    return _Matchers()


def _words(doc: Doc, start: int, end: int) -> List[str]:
    """Lower-case words of tokens start..end (no Span: cheaper)."""
    return [doc[index].lower_ for index in range(max(start, 0), min(end, len(doc)))]


# --- Checks that token patterns cannot express ---------------------------------

Found = Iterable[Tuple[str, str]]


def read_number(doc: Doc, index: int) -> Optional[Tuple[int, int]]:
    """The number starting at token ``index`` ("15", "fifteen", "twenty-one") and the index
    after it; None for anything else ("999", "2019", "first")."""
    word = doc[index].lower_
    if word not in NUMBERS:
        return None
    value, after = NUMBERS[word], index + 1
    if word in _TENS:
        nxt = after + 1 if after < len(doc) and doc[after].text == "-" else after
        if nxt < len(doc) and doc[nxt].lower_ in _ONES:
            value, after = value + _ONES[doc[nxt].lower_], nxt + 1
    return value, after


def _compound_start(doc: Doc, index: int) -> int:
    """The tens of "twenty-one" when ``index`` is its "one"."""
    if doc[index].lower_ in _ONES and index >= 1:
        if doc[index - 1].lower_ in _TENS:
            return index - 1
        if doc[index - 1].text == "-" and index >= 2 and doc[index - 2].lower_ in _TENS:
            return index - 2
    return index


def _numbers(doc: Doc, start: int, end: int) -> List[Tuple[int, int]]:
    """Every number in the span, each read once, with the index after it."""
    found = []
    index = start
    while index < end:
        number = read_number(doc, _compound_start(doc, index))
        if number:
            found.append(number)
            index = max(number[1], index + 1)
        else:
            index += 1
    return found


def _quantity_follows(doc: Doc, after: int) -> bool:
    """A unit, range or measure after a number: "15 minutes", "15-20", "6'2"."""
    if after >= len(doc):
        return False
    nxt = doc[after]
    if nxt.lower_ in UNITS:
        return True
    if nxt.text in ("'", '"', "''") or (nxt.text[:1] in ("'", '"') and nxt.text[1:2].isdigit()):
        return True  # feet and inches
    if nxt.lower_ in _RANGE_LINKS and after + 1 < len(doc):
        following = doc[after + 1]
        return following.like_num or following.lower_ in UNITS
    return False


def _before(doc: Doc, index: int, words: FrozenSet[str], window: int) -> bool:
    """One of ``words`` in the ``window`` tokens before ``index``, in the same sentence."""
    for position in range(index - 1, max(-1, index - 1 - window), -1):
        word = doc[position].lower_
        if word in words:
            return True
        if word in _SENTENCE_STOP:
            return False
    return False


def _band(age: int) -> str:
    # Cut-offs: under 18, 18-24, 25-55, over 55.
    if age < 18:
        return UNDER_18
    if age < 25:
        return AGE_18_24
    if age <= 55:
        return AGE_25_55
    return OVER_55


def _is_subject(doc: Doc, index: int) -> bool:
    """Someone who can have an age: a pronoun, "my son", or a capitalised name."""
    while index >= 0 and doc[index].lower_ in _SUBJECT_SKIP:
        index -= 1
    if index < 0:
        return False
    token = doc[index]
    if token.lower_ in _SUBJECT_WORDS:
        return True
    return token.is_title and token.is_alpha and not token.is_stop and (
        token.lower_ not in _NOT_NAMES
    )


def _range_before(doc: Doc, index: int) -> bool:
    """The number at ``index`` ends a range: "16 to 25 year olds", "16-25"."""
    index = _compound_start(doc, index)
    return index >= 2 and doc[index - 1].lower_ in ("to", "-", "\u2013") and (
        doc[index - 2].like_num
    )


def _ages(doc: Doc, start: int, end: int, minimum: int) -> Found:
    """Bands of the numbers in the span that are ages (not quantities) now (not "was")."""
    if _before(doc, start + 1, _PAST, 3):
        return
    for age, after in _numbers(doc, start, end):
        if after < len(doc) and doc[after].lower_ in ("+", "plus"):
            yield from _over_under("over", age)  # "aged 55 plus", "he's 18+"
        elif minimum <= age <= MAX_AGE and not _quantity_follows(doc, after):
            yield AGE_GROUP, _band(age)


def _age_explicit(doc: Doc, start: int, end: int, value: str) -> Found:
    # "15 year old" says it is an age: no unit check, and ages under 5 count.
    first = _compound_start(doc, start)
    if _before(doc, first + 1, _PAST, 3) or _range_before(doc, first):
        return
    verb = first - 1
    while verb >= 0 and doc[verb].lower_ in _AGE_ADVERBS:
        verb -= 1
    if verb >= 0 and doc[verb].lower_ in _BE_FORMS and not _is_subject(doc, verb - 1):
        return  # "her scars are 20 years old": not a person's age
    numbers = _numbers(doc, start, end)
    if first >= 2 and doc[first - 1].lower_ in ("and", "&", "or"):  # "16 and 18 year olds"
        numbers += _numbers(doc, _compound_start(doc, first - 2), first - 1)
    for age, _after in numbers:
        if 1 <= age <= MAX_AGE:
            yield AGE_GROUP, _band(age)


def _age_aged(doc: Doc, start: int, end: int, value: str) -> Found:
    if start and doc[start - 1].lower_ in _AGE_START:
        return  # "at age 12": when it began
    yield from _ages(doc, start, end, 1)


def _age_be(doc: Doc, start: int, end: int, value: str) -> Found:
    if _is_subject(doc, start - 1):
        yield from _ages(doc, start, end, MIN_BARE_AGE)


def _age_appos(doc: Doc, start: int, end: int, value: str) -> Found:
    numbers = _numbers(doc, start, end)
    if not numbers:
        return
    after = numbers[-1][1]
    # Only a bare number in commas or brackets: "my son, 15, has..."
    if after < len(doc):
        nxt = doc[after]
        if nxt.text in ("-", "/", "%") or not (nxt.is_punct or nxt.lower_ in ("and", "who")):
            return
    yield from _ages(doc, start, end, MIN_BARE_AGE)


def _over_under(side: str, age: int) -> Found:
    # "under 16/18" is under 18 and "over 55/60" is over 55; "over 18" or
    # "under 25" span several bands, so they say nothing.
    if side == "under" and 1 <= age <= 18:
        yield AGE_GROUP, UNDER_18
    elif side == "over" and 55 <= age <= MAX_AGE:
        yield AGE_GROUP, OVER_55


def _age_over_under(doc: Doc, start: int, end: int, value: str) -> Found:
    last = doc[end - 1]
    plural = last.lower_.endswith("s")  # "under 18s": an age group on its own
    if not plural and not (start and doc[start - 1].lower_ in _OVER_UNDER_CUES):
        return  # "over 60 people" or "under 10 minutes" need an age cue
    if _before(doc, start + 1, _PAST, 3):
        return
    if plural:
        age = int(_DIGITS.search(last.text).group())
    else:
        number = read_number(doc, end - 1)
        if not number or _quantity_follows(doc, number[1]):
            return
        age = number[0]
    yield from _over_under(doc[start].lower_, age)


def _age_decade(doc: Doc, start: int, end: int, value: str) -> Found:
    if _before(doc, start + 1, _PAST, 3):
        return
    words = _words(doc, start, end)
    qualifier = next((w for w in words if w in ("early", "mid", "late")), "")
    if words[-1] in ("'s", "s"):
        words[-2:] = [words[-2] + "s"]
    if words[-1] in _DECADE_WORDS:
        decade = _DECADE_WORDS[words[-1]]
    else:
        parts = _DECADE_PARTS.match(words[-1])
        if not parts or not parts.group(3):
            return  # "in his 60" is not a decade
        qualifier = parts.group(1) or qualifier
        decade = int(parts.group(2))
    band = _decade_band(decade, qualifier)
    if band:
        yield AGE_GROUP, band


def _decade_band(decade: int, qualifier: str) -> Optional[str]:
    """A decade ("early 20s") as a band, or None when it straddles a cut-off."""
    if decade == 10:
        return None if qualifier == "late" else UNDER_18  # late teens: 17-19
    if decade == 20:
        return {"early": AGE_18_24, "late": AGE_25_55}.get(qualifier)
    if decade in (30, 40):
        return AGE_25_55
    if decade == 50:
        return {"early": AGE_25_55, "late": OVER_55}.get(qualifier)
    return OVER_55


def _school_year(year: int) -> Found:
    if 7 <= year <= 13:  # UK secondary school and sixth form: ages 11 to 18
        yield AGE_GROUP, UNDER_18


def _age_school_year(doc: Doc, start: int, end: int, value: str) -> Found:
    if _before(doc, start + 1, _PAST, 3):
        return
    numbers = _numbers(doc, start, end)
    if numbers:
        year, after = numbers[0]
        if not _quantity_follows(doc, after) and not (
            after < len(doc) and doc[after].lower_ in ("old", "olds")
        ):
            yield from _school_year(year)


def _age_fused(doc: Doc, start: int, end: int, value: str) -> Found:
    """Fused tokens: "15yo", "16y/o", "15yrs old", "under-18s", "in year10"."""
    parts = _FUSED_PARTS.match(doc[start].lower_)
    if not parts or _before(doc, start, _PAST, 3):
        return
    following = [word for word in _words(doc, end, end + 3) if word != "-"]
    if parts.group("age"):
        unit = parts.group("unit")
        if unit == "y" and following[:2] not in (["/", "o"], ["/", "o."]):
            return  # "16y" needs "/o"
        if unit.startswith(("yr", "year")) and following[:1] not in (["old"], ["olds"]):
            return  # "15yrs" alone is a duration
        age = int(parts.group("age"))
        if 1 <= age <= MAX_AGE:
            yield AGE_GROUP, _band(age)
    elif parts.group("side"):
        yield from _over_under(parts.group("side"), int(parts.group("limit")))
    elif start and doc[start - 1].lower_ in _SCHOOL_CUES or following[:1] and (
        following[0] in _SCHOOL_NOUNS
    ):
        yield from _school_year(int(parts.group("school")))


def _age_word(doc: Doc, start: int, end: int, value: str) -> Found:
    if _before(doc, start, _PAST, 3) or _before(doc, start, frozenset({"not", "n't"}), 2):
        return  # "when she was at secondary school", "not a teenager"
    if value == UNDER_18 and "as" in (t.lower_ for t in doc[max(0, start - 2):start]):
        return  # "I did it as a teenager" is usually the past
    if start and doc[start - 1].lower_ == "late" and doc[start].lower_ == "teens":
        return  # late teens straddle 18
    yield AGE_GROUP, value


def _relation(doc: Doc, start: int, end: int) -> Optional[str]:
    """The relationship a "my ... X" match names, from its last word(s)."""
    words = [token.lower_ for token in doc[start + 1:end] if token.text != "-"]
    last, before = words[-1], (words[-2] if len(words) >= 2 else "")
    if last in _TWO_WORD_NOUNS:
        return _TWO_WORD_NOUNS[last].get(before)
    if before == "grand" and _RELATION_OF.get(last) == "child":
        return "other_family"  # "my grand son"
    return _RELATION_OF.get(last)


def _relationship(doc: Doc, start: int, end: int, value: str) -> Found:
    value = value or _relation(doc, start, end) or ""
    if not value:
        return
    rest = [word for word in _words(doc, end, end + 5) if word != "-"]
    if rest[:2] in (["in", "law"], ["in", "laws"]):
        value = "other_family"  # "my mother-in-law"
    yield RELATIONSHIP, value
    # "support for my son": the support is for the person they care for.
    if start and doc[start - 1].lower_ == "for" and _for_whom(doc, start - 1, end):
        yield SERVICE_FOR, "loved_one"
        if rest[:2] in (["and", "me"], ["and", "myself"], ["&", "me"]):
            yield SERVICE_FOR, "carer"  # "for my son and me"


def _relationship_age(doc: Doc, start: int, end: int, value: str) -> Found:
    # "my 15 year old" (but not "my old friend"): a child, by the age.
    fused = _FUSED_PARTS.match(doc[end - 1].lower_)
    if _numbers(doc, start, end) or (fused and fused.group("age")):
        yield from _relationship(doc, start, end, value)


def _for_whom(doc: Doc, for_index: int, end: int) -> bool:
    """Whether "for X" says who support is for, not "hard for me to", "worried for her"."""
    if end < len(doc) and doc[end].lower_ == "to":
        return False
    before = doc[for_index - 1].lower_ if for_index else ""
    if before in _NOT_FOR:
        return False
    # "how do I be there for her" is about being there, not a service.
    return not (before == "there" and for_index >= 2 and doc[for_index - 2].lower_ in (
        "be", "being"))


def _service_for(doc: Doc, start: int, end: int, value: str) -> Found:
    if not _for_whom(doc, start, end):
        return
    if value == "both":
        yield SERVICE_FOR, "carer"
        yield SERVICE_FOR, "loved_one"
    else:
        yield SERVICE_FOR, value


def _service_for_phrase(doc: Doc, start: int, end: int, value: str) -> Found:
    # "for my loved one", "for the person I care for", "for someone I love".
    for_index = start - 1
    if for_index >= 0 and doc[for_index].lower_ in ("my", "our", "a", "the"):
        for_index -= 1
    if for_index >= 0 and doc[for_index].lower_ == "for" and _for_whom(doc, for_index, end):
        yield SERVICE_FOR, value


def _negated(doc: Doc, index: int, window: int) -> bool:
    """A negation (or "than", "instead") before ``index`` in the same clause."""
    for position in range(index - 1, max(-1, index - 1 - window), -1):
        word = doc[position].lower_
        if word in _CLAUSE_STOP:
            return False
        if word == "no" and index - position > 2:
            continue  # "no I'd rather text": only "no phone calls" negates
        if word in NEGATIONS:
            # "I don't mind texting" is a yes.
            return doc[position + 1].lower_ != "mind"
    return False


def _contact(doc: Doc, start: int, end: int, value: str) -> Found:
    """A means in a frame, unless negated, an emergency, or about the loved one."""
    if value == "pair":  # "phone or text": both, so ambiguous
        for index in (start, end - 1):
            if not _negated(doc, index, 6):
                yield CONTACT_METHOD, _METHOD_OF[doc[index].lower_]
        return
    if value.startswith("compound"):
        method, index = value.partition("|")[2], start
    else:
        index = end - 1 if value == "pre" else start
        method = _METHOD_OF[doc[index].lower_]
    if _negated(doc, index, index - start + 5):
        return
    if value == "pre":
        if doc[start].lower_ in _MEANS_PREPOSITIONS and start and (
            doc[start - 1].lower_ in _STATE_WORDS
        ):
            return  # "he's always on the phone" describes, it is no preference
        following = _words(doc, end, end + 2)
        if following and following[0] in _METHOD_AS_MODIFIER:
            return  # "it shows on the phone bill"
        if following and following[0] in _LOVED_OBJECTS:
            return  # "I want to text him": the person they care for
        if any(word in _EMERGENCY or word.isdigit() for word in following):
            return  # "can I call 999"
        if following[:1] == ["for"] and "help" in _words(doc, end, end + 3):
            return  # "a call for help"
    elif start and doc[start - 1].lower_ in _POSSESSIVES:
        return  # "his phone is fine" is about a phone, not a means
    yield CONTACT_METHOD, method


def _contact_answer(doc: Doc) -> List[_Found]:
    """A short message that is only a means and filler: "Text please", "by phone."."""
    if len(doc) > _ANSWER_MAX_TOKENS:
        return []
    words = [token.lower_ for token in doc]
    if not all(word in _METHODS or word in _ANSWER_FILLER for word in words):
        return []
    return [
        _Found(CONTACT_METHOD, _METHOD_OF[word], index, index + 1)
        for index, word in enumerate(words)
        if word in _METHODS
    ]


_HANDLERS: Dict[str, Callable[[Doc, int, int, str], Found]] = {
    "AGE_EXPLICIT": _age_explicit,
    "AGE_AGED": _age_aged,
    "AGE_BE": _age_be,
    "AGE_APPOS": _age_appos,
    "AGE_OVER_UNDER": _age_over_under,
    "AGE_DECADE": _age_decade,
    "AGE_SCHOOL_YEAR": _age_school_year,
    "FUSED": _age_fused,
    "AGEWORD": _age_word,
    "REL": _relationship,
    "REL_AGE": _relationship_age,
    "SF": _service_for,
    "SF_PHRASE": _service_for_phrase,
    "CM": _contact,
}


def _places(doc: Doc, places: List[Tuple[int, int, str]]) -> List[_Found]:
    """Nation (and region) details; a longer name wins over one inside it."""
    kept: List[Tuple[int, int, str]] = []
    taken: Set[int] = set()
    for start, end, value in sorted(places, key=lambda p: (p[0] - p[1], p[0])):
        if taken.intersection(range(start, end)):
            continue  # "south gloucestershire" is not the county; "new england" not England
        taken.update(range(start, end))
        kept.append((start, end, value))
    found = []
    for start, end, value in kept:
        if value == "none" or _before(doc, start, frozenset({"not", "n't", "nt"}), 3):
            continue
        if value == "region":
            found.append(_Found(REGION, GLOUCESTERSHIRE, start, end))
            value = ENGLAND
        found.append(_Found(NATION, value, start, end))
    return found


# --- Resolution ---------------------------------------------------------------


def _resolve(found: Sequence[_Found]) -> Dict[str, _Found]:
    """One detail per entity: unambiguous values only (relationship: first mention)."""
    by_entity: Dict[str, List[_Found]] = defaultdict(list)
    for detail in found:
        by_entity[detail.entity].append(detail)
    chosen: Dict[str, _Found] = {}
    relations = by_entity.pop(RELATIONSHIP, [])
    if relations:
        # The earliest "my"; for it, the longest phrase ("my 80 year old mum").
        chosen[RELATIONSHIP] = min(relations, key=lambda d: (d.token, -d.end))
    for entity, details in by_entity.items():
        if len({detail.value for detail in details}) == 1:
            chosen[entity] = min(details, key=lambda d: (d.token, d.end))
    if REGION in chosen and NATION not in chosen:
        del chosen[REGION]  # Gloucestershire and another nation: conflicting places
    return {entity: chosen[entity] for entity in CANONICAL if entity in chosen}


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def detail_spans(text: str) -> List[Detail]:
    """The details in ``text``, one per entity, each with its value and character offsets."""
    if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("/"):
        return []
    # A lone surrogate (possible in JSON) cannot be hashed by spaCy: a space in its
    # place keeps every offset.
    doc, found = matchers().details(_LONE_SURROGATE.sub(" ", text[:MAX_CHARS]))
    details = []
    for entity, detail in _resolve(found).items():
        if detail.value in CANONICAL[entity]:  # belt and braces: only a canonical value
            last = doc[detail.end - 1]
            details.append(Detail(entity, detail.value, doc[detail.token].idx,
                                  last.idx + len(last.text)))
    return details


def find_details(text: str) -> Dict[str, str]:
    """Entity -> canonical value for the details in ``text`` (empty when none)."""
    return {detail.entity: detail.value for detail in detail_spans(text)}


# --- Rasa component -------------------------------------------------------------


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class CarerDetailsExtractor(GraphComponent, EntityExtractorMixin):
    """Adds canonical entities for details mentioned in passing (not trained)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {}

    def __init__(self, config: Optional[Dict[str, Any]] = None) -> None:
        self._config = {**self.get_default_config(), **(config or {})}
        matchers()  # build the pipeline now, not on the first message

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CarerDetailsExtractor:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Appends the details found to each message's entities (button payloads skipped)."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.lstrip().startswith("/"):
                continue  # a button's payload already carries its entities
            entities = self.add_extractor_name([_entity(d) for d in detail_spans(text)])
            message.set(ENTITIES, message.get(ENTITIES, []) + entities, add_to_output=True)
        return messages


def _entity(detail: Detail) -> Dict[str, Any]:
    # Only the canonical value and offsets: never the user's words.
    return {
        ENTITY_ATTRIBUTE_TYPE: detail.entity,
        ENTITY_ATTRIBUTE_VALUE: detail.value,
        ENTITY_ATTRIBUTE_START: detail.start,
        ENTITY_ATTRIBUTE_END: detail.end,
        CONFIDENCE_KEY: 1.0,
    }
