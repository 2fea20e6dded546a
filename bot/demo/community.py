"""The sample community of the demo: two buildings, their owner, volunteers and residents.

Names and group chatter come in Chinese, or in pinyin and English with ``--lang en``.
These are demo data, not bot texts: the bot's own words always come from its catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass

RESIDENT, VOLUNTEER, OWNER, ADMIN = "resident", "volunteer", "owner", "admin"


@dataclass(frozen=True)
class Words:
    """A text in both demo languages."""

    zh: str
    en: str

    def __call__(self, language: str) -> str:
        """The text in the demo's language."""
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class BuildingPlan:
    """A building and the Telegram group of its residents."""

    key: str
    chat_id: int
    name: Words
    title: Words


@dataclass(frozen=True)
class Person:
    """Someone the visitor can act as on the demo page."""

    user_id: int
    name: Words
    username: str
    role: str
    building: str
    skills: tuple[str, ...] = ()
    about: Words = Words("", "")
    featured: bool = False


@dataclass(frozen=True)
class Chatter:
    """A line a person writes in a group while the community is set up."""

    username: str
    text: Words


COMMUNITY_NAME = Words("幸福里社区", "Xingfuli Community")
BOTH = "*"  # the owner runs both groups
NONE = ""  # the community admin is in no group: the config names them

BUILDINGS = (
    BuildingPlan(
        "b3",
        -1001000000003,
        Words("3号楼", "Building 3"),
        Words("幸福里 3号楼 邻里群", "Xingfuli Building 3 neighbours"),
    ),
    BuildingPlan(
        "b5",
        -1001000000005,
        Words("5号楼", "Building 5"),
        Words("幸福里 5号楼 邻里群", "Xingfuli Building 5 neighbours"),
    ),
)

PEOPLE = (
    Person(1000, Words("赵主任", "Director Zhao"), "zhaozhuren", ADMIN, NONE,
           about=Words("社区居委会主任，社区管理员：私聊里的 /stats 和 /export 看得到所有楼栋",
                       "runs the neighbourhood office, a community admin: /stats and /export "
                       "in private show every building")),
    Person(1001, Words("王芳", "Wang Fang"), "wangfang", OWNER, BOTH,
           about=Words("楼栋负责人，社区志愿者队长", "group owner, leads the volunteers"),
           featured=True),
    Person(2001, Words("李明", "Li Ming"), "liming", VOLUNTEER, "b3", ("repair", "errand"),
           Words("3号楼志愿者，会修水电，晚上关自习室",
                 "Building 3 volunteer, fixes pipes, locks up the study room"),
           featured=True),
    Person(2002, Words("陈静", "Chen Jing"), "chenjing", VOLUNTEER, "b3", ("health", "elderly"),
           Words("3号楼志愿者，退休护士", "Building 3 volunteer, retired nurse")),
    Person(2003, Words("刘洋", "Liu Yang"), "liuyang", VOLUNTEER, "b5", ("repair", "safety"),
           Words("5号楼志愿者", "Building 5 volunteer")),
    Person(2004, Words("赵敏", "Zhao Min"), "zhaomin", VOLUNTEER, "b5", ("errand", "elderly"),
           Words("5号楼志愿者，常帮老人跑腿", "Building 5 volunteer, runs errands for elders")),
    Person(3001, Words("张伟", "Zhang Wei"), "zhangwei", RESIDENT, "b3",
           about=Words("3号楼 502", "Building 3, flat 502"), featured=True),
    Person(3002, Words("王秀英", "Wang Xiuying"), "wangxiuying", RESIDENT, "b3",
           about=Words("3号楼 101，独居老人", "Building 3, flat 101, lives alone")),
    Person(3003, Words("刘强", "Liu Qiang"), "liuqiang", RESIDENT, "b3"),
    Person(3004, Words("孙丽", "Sun Li"), "sunli", RESIDENT, "b3"),
    Person(3005, Words("周杰", "Zhou Jie"), "zhoujie", RESIDENT, "b3"),
    Person(3006, Words("吴婷", "Wu Ting"), "wuting", RESIDENT, "b3"),
    Person(3007, Words("黄磊", "Huang Lei"), "huanglei", RESIDENT, "b5",
           about=Words("5号楼 303", "Building 5, flat 303")),
    Person(3008, Words("徐静", "Xu Jing"), "xujing", RESIDENT, "b5"),
    Person(3009, Words("马超", "Ma Chao"), "machao", RESIDENT, "b5"),
    Person(3010, Words("朱琳", "Zhu Lin"), "zhulin", RESIDENT, "b5"),
    Person(3011, Words("胡军", "Hu Jun"), "hujun", RESIDENT, "b5"),
    Person(3012, Words("郭敏", "Guo Min"), "guomin", RESIDENT, "b5"),
)

CHATTER = {
    "b3": (
        Chatter("zhangwei", Words("大家好，我是 502 新搬来的张伟，请多关照！",
                                  "Hi all, I'm Zhang Wei, just moved into 502. Nice to meet you!")),
        Chatter("wangxiuying", Words("欢迎欢迎！有事就在群里说。",
                                     "Welcome! Just ask in the group if you need anything.")),
    ),
    "b5": (
        Chatter("huanglei", Words("周六上午有人一起打羽毛球吗？",
                                  "Anyone up for badminton on Saturday morning?")),
    ),
}

STUDY_ROOM = Words("自习室", "Study room")
STUDY_ROOM_CHECKLIST = (
    Words("窗户关好", "windows closed"),
    Words("灯已关", "lights off"),
    Words("门已锁", "door locked"),
)
REWARDS = (  # (building, name, shop, points, stock)
    ("b3", Words("洗车券", "Car wash voucher"), Words("阿强洗车行", "Aqiang Car Wash"), 50, 10),
    ("b3", Words("鲜牛奶一箱", "A crate of fresh milk"), Words("幸福里超市", "Xingfuli Market"),
     30, 20),
    ("b5", Words("理发一次", "One haircut"), Words("小丽美发", "Xiaoli Hair Salon"), 80, 5),
)
EVENT_TITLE = Words("老年人义诊", "Free health check for the elderly")
EVENT_PLACE = Words("社区活动室", "Community hall")
EVENT_CAPACITY = 40


def building(key: str) -> BuildingPlan:
    """A building of the plan by its key."""
    return next(plan for plan in BUILDINGS if plan.key == key)


def person(username: str) -> Person:
    """A person of the plan by username."""
    return next(someone for someone in PEOPLE if someone.username == username)


def people_of(key: str) -> list[Person]:
    """Everyone in a building's group (the owner runs them all)."""
    return [someone for someone in PEOPLE if someone.building in (key, BOTH)]


def volunteers_of(key: str) -> list[Person]:
    """The volunteers of a building, in the order they are added."""
    return [someone for someone in PEOPLE if someone.role == VOLUNTEER and someone.building == key]


def community_admins() -> list[int]:
    """The user ids the demo's config names as community admins."""
    return [someone.user_id for someone in PEOPLE if someone.role == ADMIN]


def owner() -> Person:
    """The owner of both groups."""
    return next(someone for someone in PEOPLE if someone.role == OWNER)
