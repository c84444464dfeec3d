"""The demo bank: a 总行 → 分行 → 支行 → 网点 tree in five real cities and 500 staff.

Also home of the Chinese personal names that demo staff and demo customers share.
Nothing here is used in production; ``manage.py seed_demo`` is the only caller.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from scrm.core.exceptions import ApplicationError
from scrm.org.models import Branch, BranchLevel, Role, Staff

DEMO_PASSWORD = "demo12345"  # noqa: S105 - published in the README for the demo logins
# The four sign-ins the README advertises, one per role.
DEMO_LOGINS: dict[str, Role] = {
    "hq_admin": Role.HQ_ADMIN,
    "branch_manager": Role.BRANCH_MANAGER,
    "rm": Role.RM,
    "compliance": Role.COMPLIANCE,
}
DEMO_RM_USERNAME = "rm"

STAFF_TOTAL = 500
HQ_ADMINS = 3
COMPLIANCE_OFFICERS = 3
_USERNAME_PREFIX: dict[Role, str] = {
    Role.HQ_ADMIN: "hq",
    Role.COMPLIANCE: "cp",
    Role.BRANCH_MANAGER: "bm",
    Role.RM: "rm",
}


# --- Chinese personal names ----------------------------------------------------

# The 50 commonest surnames with their approximate share (%) of the population,
# after the Ministry of Public Security's 2020 household-registration ranking.
SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "wang", 7.12), ("李", "li", 7.00), ("张", "zhang", 6.74), ("刘", "liu", 5.10), ("陈", "chen", 4.61),
    ("杨", "yang", 3.22), ("黄", "huang", 2.45), ("赵", "zhao", 2.19), ("吴", "wu", 2.08), ("周", "zhou", 2.02),
    ("徐", "xu", 1.66), ("孙", "sun", 1.54), ("马", "ma", 1.44), ("朱", "zhu", 1.31), ("胡", "hu", 1.29),
    ("郭", "guo", 1.18), ("何", "he", 1.17), ("林", "lin", 1.09), ("高", "gao", 1.07), ("罗", "luo", 0.94),
    ("郑", "zheng", 0.87), ("梁", "liang", 0.85), ("谢", "xie", 0.72), ("宋", "song", 0.68), ("唐", "tang", 0.67),
    ("许", "xu", 0.64), ("邓", "deng", 0.60), ("冯", "feng", 0.60), ("韩", "han", 0.59), ("曹", "cao", 0.55),
    ("曾", "zeng", 0.53), ("彭", "peng", 0.52), ("肖", "xiao", 0.48), ("蔡", "cai", 0.47), ("潘", "pan", 0.46),
    ("田", "tian", 0.45), ("董", "dong", 0.44), ("袁", "yuan", 0.43), ("于", "yu", 0.41), ("余", "yu", 0.40),
    ("叶", "ye", 0.39), ("蒋", "jiang", 0.39), ("杜", "du", 0.38), ("苏", "su", 0.36), ("魏", "wei", 0.35),
    ("程", "cheng", 0.35), ("吕", "lv", 0.33), ("丁", "ding", 0.32), ("沈", "shen", 0.31), ("任", "ren", 0.30),
)  # fmt: skip
MALE_GIVEN_NAME_CHARACTERS: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"), ("涛", "tao"),
    ("斌", "bin"), ("明", "ming"), ("超", "chao"), ("刚", "gang"), ("平", "ping"), ("辉", "hui"), ("鹏", "peng"),
    ("华", "hua"), ("飞", "fei"), ("鑫", "xin"), ("波", "bo"), ("宇", "yu"), ("浩", "hao"), ("凯", "kai"),
    ("健", "jian"), ("俊", "jun"), ("帆", "fan"), ("博", "bo"), ("文", "wen"), ("建", "jian"), ("国", "guo"),
    ("志", "zhi"), ("海", "hai"), ("东", "dong"), ("峰", "feng"), ("晨", "chen"), ("子", "zi"), ("轩", "xuan"),
    ("泽", "ze"), ("然", "ran"), ("睿", "rui"), ("成", "cheng"), ("龙", "long"),
)  # fmt: skip
FEMALE_GIVEN_NAME_CHARACTERS: tuple[tuple[str, str], ...] = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"), ("娟", "juan"),
    ("霞", "xia"), ("秀", "xiu"), ("玲", "ling"), ("桂", "gui"), ("英", "ying"), ("婷", "ting"), ("雪", "xue"),
    ("慧", "hui"), ("莹", "ying"), ("琳", "lin"), ("颖", "ying"), ("倩", "qian"), ("洁", "jie"), ("梅", "mei"),
    ("红", "hong"), ("燕", "yan"), ("萍", "ping"), ("琴", "qin"), ("佳", "jia"), ("欣", "xin"), ("怡", "yi"),
    ("雨", "yu"), ("涵", "han"), ("梓", "zi"), ("诗", "shi"), ("晓", "xiao"), ("璐", "lu"), ("丹", "dan"),
    ("琪", "qi"), ("悦", "yue"), ("思", "si"), ("嘉", "jia"), ("蕾", "lei"),
)  # fmt: skip
TWO_CHARACTER_GIVEN_NAME_SHARE = 0.75

_SURNAME_HANZI = np.array([hanzi for hanzi, _, _ in SURNAMES])
_SURNAME_PINYIN = np.array([pinyin for _, pinyin, _ in SURNAMES])
_SURNAME_P = np.array([share for _, _, share in SURNAMES]) / sum(share for _, _, share in SURNAMES)
# Male characters first, then female ones, then "" standing for "no second character".
_GIVEN = (*MALE_GIVEN_NAME_CHARACTERS, *FEMALE_GIVEN_NAME_CHARACTERS, ("", ""))
_GIVEN_HANZI = np.array([hanzi for hanzi, _ in _GIVEN])
_GIVEN_PINYIN = np.array([pinyin for _, pinyin in _GIVEN])
_NO_CHARACTER = len(_GIVEN) - 1


@dataclass(frozen=True)
class NameDraw:
    """Names drawn as indices, rendered on demand (pinyin is only needed for staff)."""

    surname: npt.NDArray[np.intp]
    first: npt.NDArray[np.intp]
    second: npt.NDArray[np.intp]

    def hanzi(self) -> npt.NDArray[np.str_]:
        given = np.char.add(_GIVEN_HANZI[self.first], _GIVEN_HANZI[self.second])
        return np.char.add(_SURNAME_HANZI[self.surname], given)

    def pinyin(self) -> npt.NDArray[np.str_]:
        given = np.char.add(_GIVEN_PINYIN[self.first], _GIVEN_PINYIN[self.second])
        return np.char.add(_SURNAME_PINYIN[self.surname], given)


def names_draw(*, rng: np.random.Generator, male: npt.NDArray[np.bool_]) -> NameDraw:
    """A surname by national frequency and one or two given-name characters fitting the gender."""
    size = len(male)
    male_count, female_count = len(MALE_GIVEN_NAME_CHARACTERS), len(FEMALE_GIVEN_NAME_CHARACTERS)
    offset = np.where(male, 0, male_count)
    span = np.where(male, male_count, female_count)

    def character() -> npt.NDArray[np.intp]:
        return offset + (rng.random(size) * span).astype(np.intp)

    first = character()
    second = np.where(rng.random(size) < TWO_CHARACTER_GIVEN_NAME_SHARE, character(), _NO_CHARACTER)
    return NameDraw(surname=rng.choice(len(SURNAMES), size=size, p=_SURNAME_P), first=first, second=second)


# --- The branch tree -------------------------------------------------------------


class _District(NamedTuple):
    code: str
    name: str
    region_code: str  # GB/T 2260 county-level division
    outlets: tuple[str, str, str, str]


class _City(NamedTuple):
    code: str
    name: str
    districts: tuple[_District, ...]


# Each 分行 has its office in its city's first district, hence shares its region code.
CITIES: tuple[_City, ...] = (
    _City("BJ", "北京", (
        _District("CY", "朝阳", "110105", ("国贸", "望京", "三里屯", "亚运村")),
        _District("DC", "东城", "110101", ("王府井", "东直门", "崇文门", "和平里")),
        _District("FT", "丰台", "110106", ("丽泽", "方庄", "科技园", "青塔")),
        _District("HD", "海淀", "110108", ("中关村", "五道口", "万柳", "学院路")),
        _District("XC", "西城", "110102", ("金融街", "西单", "德胜门", "月坛")),
    )),
    _City("GZ", "广州", (
        _District("TH", "天河", "440106", ("珠江新城", "体育中心", "天河北", "车陂")),
        _District("BY", "白云", "440111", ("同和", "嘉禾", "白云新城", "京溪")),
        _District("HZ", "海珠", "440105", ("江南西", "琶洲", "客村", "滨江")),
        _District("LW", "荔湾", "440103", ("上下九", "芳村", "西关", "沙面")),
        _District("YX", "越秀", "440104", ("北京路", "东山口", "环市东", "五羊新城")),
    )),
    _City("HZ", "杭州", (
        _District("XH", "西湖", "330106", ("黄龙", "文三路", "西溪", "转塘")),
        _District("BJ", "滨江", "330108", ("长河", "西兴", "浦沿", "江南")),
        _District("GS", "拱墅", "330105", ("武林", "大关", "朝晖", "运河")),
        _District("SC", "上城", "330102", ("湖滨", "钱江新城", "四季青", "九堡")),
        _District("XS", "萧山", "330109", ("城厢", "北干", "宁围", "新塘")),
    )),
    _City("SH", "上海", (
        _District("PD", "浦东", "310115", ("陆家嘴", "张江", "世纪公园", "金桥")),
        _District("CN", "长宁", "310105", ("中山公园", "虹桥", "古北", "天山")),
        _District("HP", "黄浦", "310101", ("外滩", "人民广场", "新天地", "豫园")),
        _District("JA", "静安", "310106", ("南京西路", "静安寺", "大宁", "彭浦")),
        _District("XH", "徐汇", "310104", ("徐家汇", "漕河泾", "田林", "龙华")),
    )),
    _City("SZ", "深圳", (
        _District("NS", "南山", "440305", ("科技园", "蛇口", "后海", "西丽")),
        _District("BA", "宝安", "440306", ("宝安中心", "西乡", "福永", "沙井")),
        _District("FT", "福田", "440304", ("车公庙", "华强北", "香蜜湖", "会展中心")),
        _District("LG", "龙岗", "440307", ("布吉", "坂田", "横岗", "龙城")),
        _District("LH", "罗湖", "440303", ("东门", "国贸", "笋岗", "莲塘")),
    )),
)  # fmt: skip
HQ_CODE = "HQ"
HQ_CITY_CODE = "BJ"  # 总行 sits in 北京
DEMO_BRANCH_CODE = "BJ"  # where the branch_manager and rm demo logins work
DEMO_OUTLET_CODE = "BJ-CY-1"


_TreeNode = dict[str, Any]  # treebeard's load_bulk shape: {"data": {field: value}, "children": [...]}


def _node(
    code: str, name: str, level: BranchLevel, city: str, region_code: str, children: list[_TreeNode]
) -> _TreeNode:
    # treebeard's bulk load keeps the given sibling order, and Branch.node_order_by is ["code"].
    data = {"code": code, "name": name, "level": level, "city": city, "region_code": region_code}
    return {"data": data, "children": sorted(children, key=lambda child: child["data"]["code"])}


def _city_node(city: _City) -> _TreeNode:
    sub_branches = []
    for district in city.districts:
        sub_code = f"{city.code}-{district.code}"
        outlets = [
            _node(f"{sub_code}-{n}", f"{place}网点", BranchLevel.OUTLET, city.name, district.region_code, [])
            for n, place in enumerate(district.outlets, start=1)
        ]
        sub_branches.append(
            _node(sub_code, f"{district.name}支行", BranchLevel.SUB_BRANCH, city.name, district.region_code, outlets)
        )
    office = city.districts[0].region_code
    return _node(city.code, f"{city.name}分行", BranchLevel.BRANCH, city.name, office, sub_branches)


def _branch_tree() -> _TreeNode:
    hq_city = next(city for city in CITIES if city.code == HQ_CITY_CODE)
    branches = [_city_node(city) for city in CITIES]
    return _node(HQ_CODE, "总行", BranchLevel.HQ, hq_city.name, hq_city.districts[0].region_code, branches)


# --- Staff -------------------------------------------------------------------------


class _Seat(NamedTuple):
    username: str
    role: Role
    branch: Branch


def _placements(*, branches: dict[str, Branch], rng: np.random.Generator) -> list[tuple[Role, Branch]]:
    """A handful at HQ, a manager per 分行 and 支行, and the rest as RMs spread over the 网点."""
    by_level: dict[str, list[Branch]] = {level: [] for level in BranchLevel.values}
    for branch in sorted(branches.values(), key=lambda branch: branch.path):
        by_level[branch.level].append(branch)
    hq = branches[HQ_CODE]
    placements = [
        *[(Role.HQ_ADMIN, hq)] * HQ_ADMINS,
        *[(Role.COMPLIANCE, hq)] * COMPLIANCE_OFFICERS,
        *[(Role.BRANCH_MANAGER, branch) for branch in by_level[BranchLevel.BRANCH] + by_level[BranchLevel.SUB_BRANCH]],
    ]
    outlets = by_level[BranchLevel.OUTLET]
    rm_total = STAFF_TOTAL - len(placements)
    rms_per_outlet = np.full(len(outlets), rm_total // len(outlets))
    rms_per_outlet[rng.choice(len(outlets), size=rm_total % len(outlets), replace=False)] += 1
    return placements + [
        (Role.RM, outlet) for outlet, count in zip(outlets, rms_per_outlet, strict=True) for _ in range(count)
    ]


def _seats(*, branches: dict[str, Branch], rng: np.random.Generator) -> list[_Seat]:
    """Usernames like rm0001, except the first seat at each demo login's place, which gets that login."""
    demo_places = {
        Role.HQ_ADMIN: branches[HQ_CODE],
        Role.COMPLIANCE: branches[HQ_CODE],
        Role.BRANCH_MANAGER: branches[DEMO_BRANCH_CODE],
        Role.RM: branches[DEMO_OUTLET_CODE],
    }
    unclaimed_logins = {role: username for username, role in DEMO_LOGINS.items()}
    numbers: Counter[Role] = Counter()
    seats = []
    for role, branch in _placements(branches=branches, rng=rng):
        if role in unclaimed_logins and branch == demo_places[role]:
            username = unclaimed_logins.pop(role)
        else:
            numbers[role] += 1
            username = f"{_USERNAME_PREFIX[role]}{numbers[role]:04d}"
        seats.append(_Seat(username, role, branch))
    return seats


def _staff_bulk_create(*, seats: list[_Seat], rng: np.random.Generator) -> list[Staff]:
    male = rng.random(len(seats)) < 0.5
    draw = names_draw(rng=rng, male=male)
    names, pinyins = draw.hanzi(), draw.pinyin()
    surnames = _SURNAME_HANZI[draw.surname]
    # One hash for everyone: hashing 500 passwords one by one would take minutes.
    password = make_password(DEMO_PASSWORD)
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        user_model(username=seat.username, password=password, last_name=surname, first_name=name[len(surname) :])
        for seat, name, surname in zip(seats, names, surnames, strict=True)
    )
    return Staff.objects.bulk_create(
        Staff(
            user=user,
            employee_no=f"E{number:05d}",
            name=name,
            role=seat.role,
            branch=seat.branch,
            wecom_userid=f"{pinyin}_{number:05d}",
        )
        for number, (seat, user, name, pinyin) in enumerate(zip(seats, users, names, pinyins, strict=True), start=1)
    )


# --- The whole demo org ---------------------------------------------------------------


@dataclass(frozen=True)
class DemoOrg:
    branches: int
    sub_branches: int
    outlets: int
    staff: int


def demo_org_exists() -> bool:
    """An HQ node means the bank is set up (by the demo or for real): leave it alone."""
    return Branch.objects.filter(level=BranchLevel.HQ).exists()


@transaction.atomic
def demo_org_create(*, seed: int) -> DemoOrg:
    """Create the demo bank's branch tree and staff; the same seed gives the same people."""
    if demo_org_exists():
        raise ApplicationError("The bank already has an HQ; the demo organisation goes only into an empty one.")
    rng = np.random.default_rng(seed)
    created_ids = Branch.objects.load_bulk([_branch_tree()], bulk_create=True)
    branches = {branch.code: branch for branch in Branch.objects.filter(pk__in=created_ids)}
    staff = _staff_bulk_create(seats=_seats(branches=branches, rng=rng), rng=rng)
    levels = Counter(branch.level for branch in branches.values())
    return DemoOrg(
        branches=levels[BranchLevel.BRANCH],
        sub_branches=levels[BranchLevel.SUB_BRANCH],
        outlets=levels[BranchLevel.OUTLET],
        staff=len(staff),
    )
