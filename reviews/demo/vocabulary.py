"""Words the demo data is made of: names, places and the wording of needs and pledges.

Everything here is plain data, so the builder stays about structure and the Chinese
reads as a whole. Lists, never sets: iteration order must not depend on the hash seed.
"""

from pledges.enums import NeedCategory as C
from pledges.enums import Rhythm as R

# Common surnames, most frequent first; the builder weights them by rank.
SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶贺"
    "顾毛郝龚邵万钱严武戴孔常岳耿牛葛"
)
SURNAME_WEIGHTS = [1 / (rank + 8) for rank in range(len(SURNAMES))]

# Given-name characters by generation feel: the builder draws one or two of them.
MALE_GIVEN = list("国建志文明永春德新海长金玉庆红光卫东富振学军保平安林松峰涛杰刚辉成亮胜强华伟")
FEMALE_GIVEN = list("秀桂兰玉凤英荣花霞芳丽娟敏静燕红梅艳琴淑珍娥云萍慧")

# Henan county-level units: the names of the replica districts at --scale > 1.
COUNTIES = (
    "郾城区 源汇区 召陵区 舞阳县 临颍县 西平县 上蔡县 平舆县 正阳县 确山县 泌阳县 汝南县 遂平县 "
    "新蔡县 商水县 西华县 扶沟县 太康县 鹿邑县 郸城县 淮阳区 沈丘县 项城市 鄢陵县 襄城县 禹州市 "
    "长葛市 建安区 宝丰县 叶县 鲁山县 郏县 舞钢市 汝州市 中牟县 巩义市 荥阳市 新密市 新郑市 登封市 "
    "杞县 通许县 尉氏县 兰考县 孟津区 新安县 栾川县 嵩县 汝阳县 宜阳县 洛宁县 伊川县 偃师区 安阳县 "
    "汤阴县 滑县 内黄县 林州市 浚县 淇县 新乡县 获嘉县 原阳县 延津县 封丘县 长垣市 卫辉市 辉县市 "
    "修武县 博爱县 武陟县 温县 沁阳市 孟州市 清丰县 南乐县 范县 台前县 濮阳县 渑池县 卢氏县 义马市 "
    "灵宝市 南召县 方城县 西峡县 镇平县 内乡县 淅川县 社旗县 唐河县 新野县 桐柏县 邓州市 民权县 "
    "睢县 宁陵县 柘城县 虞城县 夏邑县 永城市 罗山县 光山县 新县 商城县 固始县 潢川县 淮滨县 息县"
).split()

# Place names are a leading character and a settlement word, as in 范寨, 李集, 孙庄.
PLACE_HEADS = list("范姬孙刘王杨郭张冯李崔赵马陈黄周韩许高吴朱曹何宋邓魏苏丁蒋董岳大小前后东西南北")
PLACE_TAILS = list("寨庄集店营楼岗桥湾坡铺口屯湖庙堂")

# The two towns of the article's district, each with its villages besides the named ones.
JISHI_VILLAGES = (
    "后姬村 孙庄村 大刘村 小刘村 王店村 杨湾村 郭庄村 张楼村 冯营村 李岗村 崔桥村 赵寨村 马坡村 "
    "陈湾村 黄庄村 周集村"
).split()
LAOWO_VILLAGES = (
    "老窝村 韩庄村 许营村 高店村 吴湾村 朱寨村 曹庄村 何楼村 宋岗村 邓桥村 魏庄村 苏营村 丁湾村 "
    "蒋庄村 董寨村 岳楼村"
).split()

# Departments of a district government; "{area}" is 示范区 or a county's name.
OFFICES = [
    "{area}组织人力资源社会保障局党支部",
    "{area}财政金融局党支部",
    "{area}经济发展局党支部",
    "{area}规划建设局党支部",
    "{area}社会事业局党支部",
    "{area}自然资源和生态环境局党支部",
    "{area}农业农村局党支部",
]
NEW_ORGANISATIONS = [
    ("non_public_enterprise", "{area}{head}丰食品有限公司党支部"),
    ("non_public_enterprise", "{area}物流园非公企业联合党支部"),
    ("social_organisation", "{area}社会组织联合党支部"),
    ("enterprise", "{area}城乡建设投资有限公司党支部"),
    ("floating", "{area}外出务工人员流动党支部"),
]

EXEMPTION_NOTES = {
    "old_age": ["年逾八旬，行动不便", "年老体弱，常年卧床", "高龄独居，由子女照料"],
    "illness": ["患慢性病，长期治疗", "术后休养"],
    "away": ["长期在外地务工", "随子女在外地居住"],
}

# Needs (需求清单): (description, category). "{village}" is filled in for village branches.
VILLAGE_NEEDS = [
    ("村东生产路两侧树木缺人管护浇水", C.ENVIRONMENT),
    ("村内主干道路灯损坏，夜间出行不便", C.INFRASTRUCTURE),
    ("农田灌溉靠从河里抽水，希望新打机井并通电", C.INFRASTRUCTURE),
    ("部分农户还是旱厕，希望改造成卫生厕所", C.ENVIRONMENT),
    ("村内垃圾清运不及时，坑塘周边脏乱", C.ENVIRONMENT),
    ("留守老人缺少日常照料和陪伴", C.HOUSEHOLDS_IN_DIFFICULTY),
    ("脱贫户需要稳定增收的门路", C.POVERTY_ALLEVIATION),
    ("村里路口和坑塘没有监控，存在安全隐患", C.GRASSROOTS_GOVERNANCE),
    ("邻里宅基地纠纷需要调解", C.GRASSROOTS_GOVERNANCE),
    ("村民希望流转闲散土地，发展规模种植", C.INDUSTRY),
    ("农产品销路窄，希望学会网上销售", C.INDUSTRY),
    ("留守儿童放学后无人辅导功课", C.HOUSEHOLDS_IN_DIFFICULTY),
    ("文化广场健身器材老化", C.CIVILISED_CITY),
    ("红白事大操大办，需要移风易俗", C.CIVILISED_CITY),
    ("党员活动室设施陈旧，学习资料不足", C.BRANCH_BUILDING),
    ("雨季排水沟淤堵，低洼处积水", C.INFRASTRUCTURE),
    ("困难户不熟悉医保缴费和慢病报销手续", C.HOUSEHOLDS_IN_DIFFICULTY),
    ("生产路坑洼不平，农机下地困难", C.INFRASTRUCTURE),
    ("秸秆乱堆乱放，需要常态化劝导清理", C.ENVIRONMENT),
]
UNIT_NEEDS = {
    "health_centre": [
        ("慢性病患者随访不及时", C.HOUSEHOLDS_IN_DIFFICULTY),
        ("行动不便的老人希望上门体检", C.HOUSEHOLDS_IN_DIFFICULTY),
        ("家庭医生签约服务群众知晓率低", C.OTHER),
        ("村卫生室药品和设备不足", C.INFRASTRUCTURE),
    ],
    "school": [
        ("留守儿童心理健康需要关注", C.HOUSEHOLDS_IN_DIFFICULTY),
        ("学生上下学路口交通安全隐患", C.GRASSROOTS_GOVERNANCE),
        ("家长希望学校开设课后服务", C.OTHER),
        ("老年人不会用智能手机", C.CIVILISED_CITY),
    ],
    "government_office": [
        ("结对村困难户需要定期走访帮扶", C.HOUSEHOLDS_IN_DIFFICULTY),
        ("群众办事多头跑，希望代办帮办", C.GRASSROOTS_GOVERNANCE),
        ("结对村集体经济薄弱，缺少发展思路", C.INDUSTRY),
        ("文明城市创建需要志愿者", C.CIVILISED_CITY),
        ("结对村脱贫户不清楚能享受哪些帮扶政策", C.POVERTY_ALLEVIATION),
        ("结对村党员希望多学习政策、多交流", C.BRANCH_BUILDING),
    ],
    "non_public_enterprise": [
        ("周边村民希望就近务工", C.INDUSTRY),
        ("职工子女暑期无人看护", C.HOUSEHOLDS_IN_DIFFICULTY),
        ("厂区周边道路需要维护", C.INFRASTRUCTURE),
        ("车间安全隐患需要排查整改", C.GRASSROOTS_GOVERNANCE),
    ],
    "enterprise": [
        ("周边村民希望就近务工", C.INDUSTRY),
        ("困难职工家庭需要帮扶", C.HOUSEHOLDS_IN_DIFFICULTY),
        ("结对村生产路需要修建", C.INFRASTRUCTURE),
        ("车间安全隐患需要排查整改", C.GRASSROOTS_GOVERNANCE),
    ],
    "social_organisation": [
        ("社区志愿服务缺人手", C.CIVILISED_CITY),
        ("空巢老人需要上门服务", C.HOUSEHOLDS_IN_DIFFICULTY),
        ("困难家庭儿童缺少学习用品", C.HOUSEHOLDS_IN_DIFFICULTY),
    ],
    "floating": [
        ("外出务工党员难以参加组织生活", C.BRANCH_BUILDING),
        ("务工人员被欠薪，需要帮助维权", C.GRASSROOTS_GOVERNANCE),
        ("家乡希望引进务工和招商信息", C.INDUSTRY),
    ],
}

# Pledges: (title, category, rhythm). "{n}" is a small number (2 to 9), "{tens}" and
# "{hundreds}" the same number times 10 and 100, written in Arabic digits as Chinese
# does ("新装路灯30盏", never "3十盏"); "{village}" is the served village. The rhythm is
# "" for a one-off pledge.
MEMBER_PLEDGES = {
    "village": [
        ("每周清扫村内主干道一次", C.ENVIRONMENT, R.WEEKLY),
        ("每月走访看望{n}户留守老人", C.HOUSEHOLDS_IN_DIFFICULTY, R.MONTHLY),
        ("帮助{n}户困难群众代办医保缴费和慢病报销", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
        ("义务调解邻里纠纷，做到小事不出村", C.GRASSROOTS_GOVERNANCE, ""),
        ("每周参加一次夜间治安巡逻", C.GRASSROOTS_GOVERNANCE, R.WEEKLY),
        ("帮助{n}户脱贫户发展庭院种植增收", C.POVERTY_ALLEVIATION, ""),
        ("带动{n}户村民通过网络销售农产品", C.INDUSTRY, ""),
        ("每季度为村里的五保老人义务理发", C.HOUSEHOLDS_IN_DIFFICULTY, R.QUARTERLY),
        ("宣传移风易俗，劝导红白事简办", C.CIVILISED_CITY, ""),
        ("秸秆禁烧期间每天巡查责任片区", C.ENVIRONMENT, ""),
        ("义务维修村内路灯和线路", C.INFRASTRUCTURE, ""),
        ("清理村内坑塘周边垃圾", C.ENVIRONMENT, ""),
        ("每周为留守儿童义务辅导一次功课", C.HOUSEHOLDS_IN_DIFFICULTY, R.WEEKLY),
        ("帮助村民流转闲置土地{n}亩", C.INDUSTRY, ""),
        ("每月向群众宣讲一次惠农政策", C.BRANCH_BUILDING, R.MONTHLY),
        ("带头清理门前乱堆乱放，美化庭院", C.ENVIRONMENT, ""),
        ("帮助{n}户村民完成户厕改造", C.ENVIRONMENT, ""),
        ("协助村“两委”做好汛期巡查", C.GRASSROOTS_GOVERNANCE, ""),
        ("疏通村内排水沟{hundreds}米", C.INFRASTRUCTURE, ""),
    ],
    "school": [
        ("每周为留守儿童开展一次课后辅导", C.HOUSEHOLDS_IN_DIFFICULTY, R.WEEKLY),
        ("每学期家访学生{n}户", C.HOUSEHOLDS_IN_DIFFICULTY, R.HALF_YEARLY),
        ("上下学时段在校门口护学岗值守", C.GRASSROOTS_GOVERNANCE, R.WEEKLY),
        ("结对帮扶{n}名学习困难学生", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
        ("为老年人开设智能手机使用课堂", C.CIVILISED_CITY, ""),
    ],
    "health_centre": [
        ("每月上门随访慢性病患者{n}人", C.HOUSEHOLDS_IN_DIFFICULTY, R.MONTHLY),
        ("为{n}名行动不便老人上门健康体检", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
        ("每季度到结对村开展一次义诊", C.HOUSEHOLDS_IN_DIFFICULTY, R.QUARTERLY),
        ("入户宣传家庭医生签约服务", C.OTHER, ""),
    ],
    "government_office": [
        ("每月走访结对困难户一次", C.HOUSEHOLDS_IN_DIFFICULTY, R.MONTHLY),
        ("为群众代办帮办证照业务", C.GRASSROOTS_GOVERNANCE, ""),
        ("联系{n}户脱贫户，帮助落实帮扶政策", C.POVERTY_ALLEVIATION, ""),
        ("每月参加两次文明城市创建志愿服务", C.CIVILISED_CITY, R.MONTHLY),
        ("帮助结对村理清集体经济发展思路", C.INDUSTRY, ""),
        ("每季度到结对村宣讲一次惠民政策", C.BRANCH_BUILDING, R.QUARTERLY),
    ],
    "non_public_enterprise": [
        ("帮助周边村{n}名群众到企业就业", C.INDUSTRY, ""),
        ("带领职工开展一次爱心捐助", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
        ("岗位技术攻关，带{n}名徒弟", C.INDUSTRY, ""),
        ("开展一次安全生产隐患排查", C.GRASSROOTS_GOVERNANCE, ""),
    ],
    "social_organisation": [
        ("每月组织一次社区志愿服务", C.CIVILISED_CITY, R.MONTHLY),
        ("为困难家庭儿童募集学习用品", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
        ("每周上门陪伴空巢老人一次", C.HOUSEHOLDS_IN_DIFFICULTY, R.WEEKLY),
    ],
    "floating": [
        ("在务工地帮助{n}名同乡维护合法权益", C.GRASSROOTS_GOVERNANCE, ""),
        ("每季度回村参加一次主题党日", C.BRANCH_BUILDING, R.QUARTERLY),
        ("为家乡引进一条务工或招商信息", C.INDUSTRY, ""),
    ],
}
MEMBER_PLEDGES["enterprise"] = MEMBER_PLEDGES["non_public_enterprise"]

BRANCH_PLEDGES = {
    "village": [
        ("完成户厕改造{tens}户", C.ENVIRONMENT, ""),
        ("成立人居环境督检组，专人检查村内环境", C.ENVIRONMENT, ""),
        ("硬化村内生产路{hundreds}米", C.INFRASTRUCTURE, ""),
        ("新装路灯{tens}盏", C.INFRASTRUCTURE, ""),
        ("做好脱贫攻坚各项工作，防止返贫", C.POVERTY_ALLEVIATION, ""),
        ("流转土地{hundreds}亩，发展规模种植", C.INDUSTRY, ""),
        ("规范“三会一课”，每月开展主题党日", C.BRANCH_BUILDING, R.MONTHLY),
        ("清理坑塘{n}处并绿化周边", C.ENVIRONMENT, ""),
        ("建设村级文化广场", C.CIVILISED_CITY, ""),
        ("调处化解矛盾纠纷，实现小事不出村", C.GRASSROOTS_GOVERNANCE, ""),
    ],
    "school": [
        ("开设课后延时服务", C.OTHER, ""),
        ("建立留守儿童关爱档案，每学期家访全覆盖", C.HOUSEHOLDS_IN_DIFFICULTY, R.HALF_YEARLY),
        ("改善校园周边交通安全设施", C.GRASSROOTS_GOVERNANCE, ""),
        ("每季度举办一次家长学校活动", C.CIVILISED_CITY, R.QUARTERLY),
        ("资助家庭困难学生{n}名", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
    ],
    "health_centre": [
        ("家庭医生签约服务覆盖全镇重点人群", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
        ("每月组织一次下村义诊", C.HOUSEHOLDS_IN_DIFFICULTY, R.MONTHLY),
        ("为65岁以上老人免费体检", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
        ("建立慢性病患者随访台账", C.OTHER, ""),
        ("为村卫生室配齐常用药品和设备", C.INFRASTRUCTURE, ""),
    ],
    "government_office": [
        ("每月到{village}“两委”开展一次座谈交流", C.BRANCH_BUILDING, R.MONTHLY),
        ("每月到{village}贫困户家中走访慰问", C.HOUSEHOLDS_IN_DIFFICULTY, R.MONTHLY),
        ("帮助{village}改造农田电网和机井", C.INFRASTRUCTURE, ""),
        ("为{village}安装必要的监控摄像头", C.GRASSROOTS_GOVERNANCE, ""),
        ("帮助{village}实施土地流转项目", C.INDUSTRY, ""),
        ("推进{village}厕所改造", C.ENVIRONMENT, ""),
    ],
    "non_public_enterprise": [
        ("吸纳周边村民就业{tens}人", C.INDUSTRY, ""),
        ("捐资助学，资助困难学生{n}名", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
        ("开展安全生产月活动", C.GRASSROOTS_GOVERNANCE, ""),
        ("每季度组织一次职工志愿服务", C.CIVILISED_CITY, R.QUARTERLY),
    ],
    "social_organisation": [
        ("每月组织一次志愿服务活动", C.CIVILISED_CITY, R.MONTHLY),
        ("为空巢老人提供上门服务", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
        ("建立志愿者队伍{tens}人", C.CIVILISED_CITY, ""),
        ("开展一次困难儿童助学活动", C.HOUSEHOLDS_IN_DIFFICULTY, ""),
    ],
    "floating": [
        ("建立流动党员联系台账，每季度联系一次", C.BRANCH_BUILDING, R.QUARTERLY),
        ("组织流动党员为家乡办一件实事", C.OTHER, ""),
        ("帮助外出务工人员依法维权", C.GRASSROOTS_GOVERNANCE, ""),
        ("为家乡引进务工和招商信息", C.INDUSTRY, ""),
    ],
}
BRANCH_PLEDGES["enterprise"] = BRANCH_PLEDGES["non_public_enterprise"]

# What members said at the quarterly briefing (季度党支部讲评).
BRIEFING_COMMENTS = [
    "党员一致认为承诺事项推进有力，建议下季度加快进度。",
    "党员提出个别承诺进度偏慢，支部明确专人督促。",
    "党员建议多听取群众意见，完成后及时公示。",
    "党员对支部承诺完成情况表示满意。",
]
# The upper organisation's quarterly comments on a branch pledge that was not 好.
REVIEW_COMMENTS = [
    "进度基本符合时间节点，需加快推进。",
    "请补充践诺记实和照片。",
    "个别节点滞后，请说明原因并制定措施。",
    "群众反映较好，继续保持。",
]

RETURN_NOTES = [
    "承诺内容不够具体，请写明完成时限和服务对象。",
    "请补充时间节点。",
    "服务对象不明确，请细化到户。",
    "与支部承诺重复，请调整。",
]
WITHDRAW_REASONS = [
    "该项目已由上级统一实施，经支部研究撤销本承诺。",
    "承诺人长期外出务工，无法履行，经支部研究撤销。",
    "与村庄规划冲突，经群众评议撤销。",
]
PROGRESS_NOTES = [
    "入户走访{n}户，登记群众意见{m}条。",
    "组织党员群众{n}人参与，完成阶段任务。",
    "协调资金和物料，已完成约{pct}%。",
    "本月按承诺完成，群众反映良好。",
    "与村“两委”对接，商定下一步安排。",
    "现场查看进度，解决了{m}个具体问题。",
]
PROGRESS_DONE = "承诺事项全部完成，经群众确认。"
REPORT_PROBLEMS = [
    "",
    "部分群众白天不在家，需要错时走访。",
    "资金到位较慢。",
    "天气原因推迟了一次。",
]
REPORT_NEXT_STEPS = ["继续按承诺开展服务。", "下月完成剩余任务。", "多听群众意见，改进服务方式。"]

# Who a pledge serves, by branch kind; "{village}" is the branch's or the paired village.
BENEFICIARIES = {
    "village": "{village}群众",
    "school": "在校学生和家长",
    "health_centre": "辖区群众",
    "government_office": "{village}群众",
    "non_public_enterprise": "企业职工和周边群众",
    "enterprise": "企业职工和周边群众",
    "social_organisation": "社区群众",
    "floating": "流动党员和家乡群众",
}
PLEDGE_CONTENT = [
    "按承诺书约定的时间节点推进，接受群众监督。",
    "结合岗位职责和个人实际作出承诺，每月在主题党日汇报进展。",
    "认领群众需求清单事项，完成后请服务对象评议。",
    "与村“两委”商定实施办法，按季度向支部报告。",
]
