"""What the 2021 article reports, as demo rows: the named needs and pledges.

Statuses follow the article: the 13 machine wells are drilled and powered, 姬石村 has
more than finished its 340 toilets and "basically finished" the rest, 李荣花 waters
the east-road trees month after month.
"""

from dataclasses import dataclass

from pledges.enums import NeedCategory as C
from pledges.enums import NeedSource, PledgeStatus, Rhythm, Urgency
from pledges.enums import PledgeStatus as S
from reviews.demo.plan import FANZHAI, GENERAL_OFFICE, JISHI_VILLAGE


@dataclass(frozen=True)
class NamedNeed:
    key: str
    description: str
    category: str
    source: str = NeedSource.HOME_VISIT
    raised_by: str = ""
    urgency: str = Urgency.MEDIUM
    # Lines of vocabulary.VILLAGE_NEEDS that say the same thing: never drawn beside it.
    covers: tuple[str, ...] = ()


@dataclass(frozen=True)
class NamedPledge:
    title: str
    category: str
    status: PledgeStatus
    need_key: str = ""
    rhythm: str = ""
    content: str = ""
    beneficiaries: str = ""
    progress_notes: tuple[str, ...] = ()


NEEDS = {
    FANZHAI: [
        NamedNeed(
            "wells",
            "浇一茬地要扯近200米长的水管，开拖拉机拉着水泵到河里抽水，希望新打机井并通电",
            C.INFRASTRUCTURE,
            raised_by="四组村民张喜民",
            urgency=Urgency.HIGH,
            covers=("农田灌溉靠从河里抽水，希望新打机井并通电",),
        ),
        NamedNeed(
            "toilets",
            "多数农户还是旱厕，希望厕所改造尽早实施",
            C.ENVIRONMENT,
            covers=("部分农户还是旱厕，希望改造成卫生厕所",),
        ),
        NamedNeed(
            "cameras",
            "村里路口和坑塘没有监控，存在安全隐患",
            C.GRASSROOTS_GOVERNANCE,
            source=NeedSource.SYMPOSIUM,
        ),
        NamedNeed(
            "poor_households",
            "贫困户需要经常有人上门看看，帮着解决实际困难",
            C.POVERTY_ALLEVIATION,
            covers=("脱贫户需要稳定增收的门路",),
        ),
        NamedNeed(
            "land",
            "村里不少地块零散闲置，希望实施土地流转",
            C.INDUSTRY,
            source=NeedSource.QUESTIONNAIRE,
            covers=("村民希望流转闲散土地，发展规模种植",),
        ),
        NamedNeed(
            "committees",
            "村“两委”希望上级常来指导，帮助支部开展工作",
            C.BRANCH_BUILDING,
            source=NeedSource.MEMBER_MEETING,
            raised_by="村党支部",
        ),
    ],
    JISHI_VILLAGE: [
        NamedNeed(
            "east_road",
            "东边生产路两侧土地闲置，希望绿化并招商引资",
            C.INDUSTRY,
            source=NeedSource.SYMPOSIUM,
            covers=("村民希望流转闲散土地，发展规模种植",),
        ),
        NamedNeed("inspection", "村内环境卫生没人常态化检查", C.ENVIRONMENT),
        NamedNeed(
            "toilets",
            "全村还有340户旱厕需要改造",
            C.ENVIRONMENT,
            source=NeedSource.QUESTIONNAIRE,
            urgency=Urgency.HIGH,
            covers=("部分农户还是旱厕，希望改造成卫生厕所",),
        ),
        NamedNeed(
            "poverty",
            "脱贫户需要持续帮扶，防止返贫",
            C.POVERTY_ALLEVIATION,
            covers=("脱贫户需要稳定增收的门路",),
        ),
        NamedNeed(
            "watering",
            "村东生产路新栽的树木缺人浇水",
            C.ENVIRONMENT,
            covers=("村东生产路两侧树木缺人管护浇水",),
        ),
        NamedNeed("pruning", "村内花草树木多年没人修剪", C.ENVIRONMENT),
    ],
}

# The office branch's six pledges answer 范寨村's needs: it pledges for the paired village.
BRANCH_PLEDGES = {
    GENERAL_OFFICE: [
        NamedPledge(
            "每月到范寨村“两委”开展一次座谈交流，帮助村党支部开展工作",
            C.BRANCH_BUILDING,
            S.IN_PROGRESS,
            "committees",
            Rhythm.MONTHLY,
            beneficiaries="范寨村党支部和村委会",
        ),
        NamedPledge(
            "每月到范寨村贫困户家中走访慰问",
            C.POVERTY_ALLEVIATION,
            S.IN_PROGRESS,
            "poor_households",
            Rhythm.MONTHLY,
            beneficiaries="范寨村贫困户",
        ),
        NamedPledge(
            "范寨村厕所改造尽早实施",
            C.ENVIRONMENT,
            S.IN_PROGRESS,
            "toilets",
            content="协调资金和施工队伍，尽早实施户厕改造。",
            beneficiaries="范寨村农户",
        ),
        NamedPledge(
            "为范寨村安装必要的监控摄像头",
            C.GRASSROOTS_GOVERNANCE,
            S.VERIFIED,
            "cameras",
            beneficiaries="范寨村全体村民",
        ),
        NamedPledge(
            "范寨村农田电网改造，新打机井",
            C.INFRASTRUCTURE,
            S.EVALUATED,
            "wells",
            content="改造农田电网，新打机井并联网通电，刷卡浇地，4块钱不到浇一亩地。",
            beneficiaries="范寨村种粮户",
            progress_notes=(
                "4月在四组村民张喜民家地头新打机井，完成首批5眼。",
                "农田电网改造完成，新打机井累计9眼。",
                "今年新打机井13眼，全部联网通电，6月抗旱时派上大用场。",
            ),
        ),
        NamedPledge(
            "在范寨村实施土地流转项目",
            C.INDUSTRY,
            S.COMPLETED,
            "land",
            beneficiaries="范寨村农户",
        ),
    ],
    JISHI_VILLAGE: [
        NamedPledge(
            "配合上级有关部门搞好东边生产路租地、绿化、土地流转招商引资",
            C.INDUSTRY,
            S.COMPLETED,
            "east_road",
            beneficiaries="姬石村全体村民",
        ),
        NamedPledge(
            "成立人居环境督检组，由专人对村内环境工作进行检查",
            C.ENVIRONMENT,
            S.IN_PROGRESS,
            "inspection",
            Rhythm.WEEKLY,
            beneficiaries="姬石村全体村民",
        ),
        NamedPledge(
            "完成户厕改造340户",
            C.ENVIRONMENT,
            S.EVALUATED,
            "toilets",
            content="已超额完成户厕改造户数。",
            beneficiaries="姬石村农户",
        ),
        NamedPledge(
            "做好脱贫攻坚各项工作",
            C.POVERTY_ALLEVIATION,
            S.VERIFIED,
            "poverty",
            beneficiaries="姬石村脱贫户",
        ),
    ],
}

# Keyed by (branch key, member name): each is the member's only pledge.
MEMBER_PLEDGES = {
    (JISHI_VILLAGE, "李荣花"): NamedPledge(
        "每月给村东生产路树木浇水一次",
        C.ENVIRONMENT,
        S.IN_PROGRESS,
        "watering",
        Rhythm.MONTHLY,
        beneficiaries="村东生产路沿线",
    ),
    (JISHI_VILLAGE, "姬国胜"): NamedPledge(
        "每年对村内的花草树木修剪一至两次",
        C.ENVIRONMENT,
        S.COMPLETED,
        "pruning",
        Rhythm.YEARLY,
        content="退休教师，义务修剪村内花草树木，不要报酬。春季修剪一遍需要一个多月。",
        beneficiaries="姬石村全体村民",
    ),
}
