"""Vocabulary of the demo data: name parts, titles, products, texts (Chinese and English).

Company names are built combinatorially from these parts, so their number (millions of
combinations) stays far above the largest demo run. Everything here is plain data; the order of
every list matters, because the generator draws from them with a seeded random generator.
"""

# Chinese surnames and given names, each with its pinyin for e-mail addresses.
ZH_SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"),
]  # fmt: skip
ZH_GIVEN_NAMES = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂英", "guiying"), ("建华", "jianhua"),
    ("志强", "zhiqiang"), ("晓东", "xiaodong"), ("海燕", "haiyan"), ("文博", "wenbo"),
    ("思远", "siyuan"), ("雨萱", "yuxuan"), ("子涵", "zihan"), ("浩然", "haoran"), ("欣怡", "xinyi"),
    ("俊杰", "junjie"), ("婷婷", "tingting"), ("国庆", "guoqing"), ("建军", "jianjun"), ("丹", "dan"),
    ("鹏", "peng"), ("斌", "bin"), ("琳", "lin"),
]  # fmt: skip
EN_FIRST_NAMES = [
    "James", "Emily", "Michael", "Sarah", "David", "Laura", "Daniel", "Anna", "Thomas", "Sophie",
    "Robert", "Emma", "Peter", "Julia", "Mark", "Olivia", "Kevin", "Grace", "Lucas", "Hannah",
    "Oliver", "Chloe", "Henrik", "Ingrid", "Marco", "Giulia", "Pierre", "Claire", "Carlos", "Lucia",
    "Kenji", "Yuki", "Raj", "Priya", "Andrew", "Rachel", "Stefan", "Eva", "Jonas", "Nina",
]  # fmt: skip
EN_LAST_NAMES = [
    "Smith", "Johnson", "Brown", "Miller", "Wilson", "Taylor", "Anderson", "Thomas", "Moore",
    "Martin", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Green", "Baker",
    "Adams", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker",
    "Evans", "Edwards", "Collins", "Stewart", "Müller", "Schmidt", "Rossi", "Dubois", "Tanaka",
    "Sato", "Kumar", "Lee",
]  # fmt: skip

# Chinese company names: city + brand (two characters) + trade + legal form.
ZH_CITIES = {
    "east": ["上海", "苏州", "杭州", "宁波", "南京", "无锡", "常州", "合肥", "济南", "青岛", "厦门", "福州"],
    "north": ["北京", "天津", "石家庄", "太原", "唐山", "保定"],
    "south": ["广州", "深圳", "东莞", "佛山", "珠海", "南宁", "中山"],
    "central": ["武汉", "长沙", "郑州", "南昌", "洛阳", "株洲"],
    "southwest": ["成都", "重庆", "昆明", "贵阳", "绵阳"],
    "northwest": ["西安", "兰州", "银川", "宝鸡"],
    "northeast": ["沈阳", "大连", "长春", "哈尔滨"],
}
ZH_BRAND_CHARS = [
    ("华", "hua"), ("恒", "heng"), ("宏", "hong"), ("鑫", "xin"), ("瑞", "rui"), ("德", "de"),
    ("盛", "sheng"), ("通", "tong"), ("达", "da"), ("远", "yuan"), ("金", "jin"), ("新", "xin"),
    ("永", "yong"), ("嘉", "jia"), ("佳", "jia"), ("荣", "rong"), ("泰", "tai"), ("安", "an"),
    ("信", "xin"), ("美", "mei"), ("汇", "hui"), ("联", "lian"), ("捷", "jie"), ("凯", "kai"),
    ("博", "bo"), ("天", "tian"), ("海", "hai"), ("东", "dong"), ("中", "zhong"), ("正", "zheng"),
    ("精", "jing"), ("诚", "cheng"), ("宝", "bao"), ("宇", "yu"), ("鸿", "hong"), ("欣", "xin"),
    ("康", "kang"), ("力", "li"), ("创", "chuang"), ("兴", "xing"),
]  # fmt: skip
ZH_TRADES = {
    "manufacturing": ["精密机械", "机械", "装备制造", "工业", "机电", "重工"],
    "automotive": ["汽车零部件", "汽配", "车业", "汽车电子", "动力总成"],
    "electronics": ["电子", "电子科技", "微电子", "光电", "智能科技"],
    "chemicals": ["化工", "新材料", "化学", "高分子材料", "涂料"],
    "food": ["食品", "饮料", "乳业", "食品机械", "调味品"],
    "retail": ["商贸", "供应链", "百货", "贸易", "物流"],
    "construction": ["建设", "建材", "工程", "钢构", "幕墙"],
    "energy": ["能源", "电力", "新能源", "光伏", "储能"],
    "healthcare": ["医疗器械", "医药", "生物科技", "制药", "健康科技"],
    "textiles": ["纺织", "服饰", "织造", "印染", "化纤"],
}
ZH_LEGAL_FORMS = ["有限公司", "股份有限公司", "集团有限公司", "科技有限公司"]

# English company names: word + qualifier + trade + legal form (by region).
EN_WORDS = [
    "Northwind", "Bluewater", "Silverline", "Redwood", "Ironbridge", "Summit", "Pinnacle", "Harbor",
    "Evergreen", "Crestview", "Lakeside", "Westfield", "Eastgate", "Goldcrest", "Stonegate",
    "Brightway", "Clearwater", "Riverside", "Highland", "Oakridge", "Maple", "Cedar", "Falcon",
    "Eagle", "Orion", "Atlas", "Vertex", "Nova", "Polaris", "Sterling", "Granite", "Copper", "Beacon",
    "Horizon", "Meridian", "Zenith", "Apex", "Unity", "Liberty", "Pacific", "Atlantic", "Nordic",
    "Alpine", "Coastal", "Prime", "Vanguard", "Keystone", "Trident", "Phoenix", "Sunrise",
]  # fmt: skip
EN_QUALIFIERS = [
    "", "Precision", "Industrial", "Global", "Dynamics", "Systems", "United", "International",
    "Allied", "Advanced", "Integrated", "Modern", "Standard", "General", "Continental", "Royal",
    "Pioneer", "Quality",
]  # fmt: skip
EN_TRADES = {
    "manufacturing": ["Machinery", "Engineering", "Equipment", "Manufacturing", "Tooling"],
    "automotive": ["Auto Parts", "Automotive", "Motors", "Drivetrain", "Components"],
    "electronics": ["Electronics", "Semiconductors", "Devices", "Circuits", "Controls"],
    "chemicals": ["Chemicals", "Materials", "Polymers", "Coatings", "Resins"],
    "food": ["Foods", "Beverages", "Dairy", "Nutrition", "Ingredients"],
    "retail": ["Trading", "Distribution", "Supply", "Retail", "Logistics"],
    "construction": ["Construction", "Building Materials", "Structures", "Infrastructure", "Steel"],
    "energy": ["Energy", "Power", "Renewables", "Utilities", "Solar"],
    "healthcare": ["Medical", "Healthcare", "Life Sciences", "Pharma", "Diagnostics"],
    "textiles": ["Textiles", "Apparel", "Fabrics", "Fibers", "Garments"],
}
EN_LEGAL_FORMS = {
    "europe": ["GmbH", "Ltd.", "S.A.", "B.V.", "AG", "S.p.A."],
    "americas": ["Inc.", "LLC", "Corp.", "Co."],
    "apac": ["Pte. Ltd.", "Co., Ltd.", "Ltd.", "K.K.", "Pty Ltd"],
    # Foreign-invested companies inside China.
    "china": ["(China) Co., Ltd.", "(Shanghai) Co., Ltd.", "(Suzhou) Co., Ltd.", "Ltd."],
}

# Region weights (per mille): most customers are in China, a tenth abroad.
REGION_WEIGHTS = [
    ("east", 300), ("south", 180), ("north", 120), ("central", 90), ("southwest", 70),
    ("northwest", 30), ("northeast", 40), ("apac", 70), ("europe", 60), ("americas", 40),
]  # fmt: skip
INDUSTRY_WEIGHTS = [
    ("manufacturing", 22), ("automotive", 15), ("electronics", 14), ("chemicals", 9), ("food", 8),
    ("retail", 7), ("construction", 8), ("energy", 7), ("healthcare", 5), ("textiles", 5),
]  # fmt: skip

# Titles per contact department: (Chinese, English).
TITLES = {
    "executive": [("总经理", "General Manager"), ("副总经理", "Deputy General Manager"),
                  ("董事长", "Chairman"), ("运营副总裁", "VP Operations")],
    "procurement": [("采购经理", "Purchasing Manager"), ("采购总监", "Procurement Director"),
                    ("采购专员", "Buyer"), ("供应链经理", "Supply Chain Manager")],
    "technical": [("技术总监", "Technical Director"), ("研发工程师", "R&D Engineer"),
                  ("工艺工程师", "Process Engineer")],
    "user": [("生产经理", "Production Manager"), ("车间主任", "Plant Supervisor"),
             ("设备主管", "Maintenance Lead")],
    "quality": [("质量经理", "Quality Manager"), ("质检工程师", "QA Engineer")],
    "finance": [("财务经理", "Finance Manager"), ("会计主管", "Accounting Supervisor")],
    "other": [("行政主管", "Office Manager"), ("仓储主管", "Warehouse Supervisor")],
}  # fmt: skip

# Product categories: (Chinese name, SKU code, lowest and highest unit price in yuan).
PRODUCT_CATEGORIES = [
    ("伺服电机", "SRV", 800, 12000),
    ("减速机", "GBX", 600, 9000),
    ("轴承", "BRG", 20, 1500),
    ("传感器", "SEN", 60, 3000),
    ("控制器", "CTL", 500, 15000),
    ("阀门", "VLV", 150, 6000),
    ("泵", "PMP", 900, 20000),
    ("线缆", "CBL", 10, 400),
    ("密封件", "SEL", 5, 300),
    ("变频器", "INV", 1200, 25000),
]
PRODUCT_SERIES = ["S", "M", "H", "X", "E"]
PRODUCTS_PER_CATEGORY = 20

COMPETITORS = [
    "华锐传动", "德宏精密", "恒通机电", "中科智控", "远航工业", "金泰科技", "博亚自动化",
    "Apex Drives GmbH", "Meridian Industrial Inc.", "Keystone Motion Ltd.", "Nordic Precision AB",
    "Orion Components Co., Ltd.", "Vertex Automation", "Sakura Mechatronics K.K.",
    "Atlas Fluid Systems",
]  # fmt: skip

# Purchase criteria: (Chinese, English). The last ones are those a competitor tends to win on.
CRITERIA = [
    ("交货期不超过两周", "Lead time of two weeks at most"),
    ("价格不高于市场均价", "Price at or below the market average"),
    ("产品批次一致性", "Batch-to-batch consistency"),
    ("24小时技术支持", "24-hour technical support"),
    ("90天账期", "90-day payment terms"),
    ("IATF 16949 认证", "IATF 16949 certification"),
    ("本地安全库存", "Local safety stock"),
    ("环保合规（RoHS/REACH）", "RoHS/REACH compliance"),
    ("现场服务4小时内响应", "On-site service within 4 hours"),
    ("数字化订单对接（EDI）", "EDI order integration"),
    ("产品寿命不少于5年", "Service life of five years or more"),
    ("定制开发能力", "Custom development capability"),
    ("集成化整体方案", "Integrated system solution"),
    ("新一代节能产品", "Next-generation energy-efficient products"),
]
COMPETITIVE_CRITERIA_FROM = 11

PRODUCT_NEEDS = [
    ("高功率伺服系统", "High-power servo system"),
    ("防爆型电机", "Explosion-proof motors"),
    ("一体化驱动模块", "Integrated drive module"),
    ("物联网远程监控", "IoT remote monitoring"),
    ("低噪音减速机", "Low-noise gearbox"),
    ("食品级密封件", "Food-grade seals"),
    ("耐高温传感器", "High-temperature sensors"),
    ("变频节能改造", "Inverter energy-saving retrofit"),
    ("智能阀门控制", "Smart valve control"),
    ("定制线缆总成", "Custom cable assemblies"),
    ("氢能专用泵", "Pumps for hydrogen applications"),
    ("协作机器人关节", "Cobot joint modules"),
]

STRATEGIES = [
    ("扩大新能源产品线，两年内产能翻番", "Expand the new-energy product line, doubling capacity in two years"),
    ("推进精益生产，压缩供应商数量", "Lean production programme, consolidating the supplier base"),
    ("拓展东南亚市场，新建海外工厂", "Expansion into Southeast Asia with a new plant abroad"),
    ("现有产线自动化升级改造", "Automation upgrade of the existing lines"),
    ("降本增效，年度采购成本下降5%", "Cost-down programme: purchasing cost 5% lower every year"),
    ("向高端产品转型", "Move into premium products"),
    ("数字化工厂建设", "Building a digital factory"),
]
OUR_ACTIONS = [
    ("联合开发定制方案，派驻技术工程师", "Co-develop a custom solution with a resident engineer"),
    ("建立寄售库存，保障旺季供应", "Consignment stock to secure peak-season supply"),
    ("年度框架协议与阶梯返利", "Annual frame agreement with tiered rebates"),
    ("高层季度互访，建立战略沟通机制", "Quarterly executive visits and a strategic dialogue"),
    ("提供能耗评估与改造方案", "Energy audit and retrofit proposal"),
    ("开通EDI订单对接，缩短交期", "EDI ordering to shorten lead times"),
]

INTERACTION_SUBJECTS = {
    "visit": [("季度拜访", "Quarterly visit"), ("现场技术交流", "On-site technical exchange"),
              ("新品推介", "New product presentation"), ("产线巡检", "Production line walk-through")],
    "call": [("电话沟通交期", "Call about delivery dates"), ("跟进报价", "Quotation follow-up"),
             ("确认订单需求", "Order requirements call"), ("回访服务满意度", "Service satisfaction call")],
    "meeting": [("技术方案评审", "Technical proposal review"), ("年度采购计划沟通", "Annual purchasing plan"),
                ("质量改进会议", "Quality improvement meeting"), ("商务谈判", "Commercial negotiation")],
    "executive_meeting": [("高层会晤", "Executive meeting"), ("战略合作洽谈", "Strategic partnership talks")],
    "business_review": [("年度业务回顾", "Annual business review"), ("季度业务回顾", "Quarterly business review")],
    "event": [("行业展会接待", "Trade fair reception"), ("客户答谢会", "Customer appreciation event"),
              ("技术研讨会", "Technical seminar")],
}  # fmt: skip
INTERACTION_NOTES = [
    ("客户对近期交付表示满意。", "The customer is happy with recent deliveries."),
    ("客户提到竞争对手正在接触其采购部。", "A competitor has been approaching their purchasing team."),
    ("讨论了明年的需求预测。", "Discussed next year's demand forecast."),
    ("需跟进样品测试结果。", "Follow up on the sample test results."),
    ("客户希望缩短交货期。", "They want shorter lead times."),
]
CADENCES = {
    "executive_meeting": ("季度高层会晤", "Quarterly executive meeting", 90),
    "visit": ("月度拜访", "Monthly visit", 30),
    "business_review": ("年度业务回顾", "Annual business review", 365),
}

TICKET_SUBJECTS = {
    "product_quality": [("批次产品尺寸超差", "Dimensions out of tolerance in one batch"),
                        ("设备运行异响", "Abnormal noise in operation"),
                        ("来料检验不合格", "Incoming inspection failed"), ("产品早期失效", "Early product failure")],
    "service": [("技术支持响应慢", "Slow technical support"), ("需要现场调试", "On-site commissioning needed"),
                ("培训需求", "Training request"), ("售后服务投诉", "After-sales service complaint")],
    "delivery": [("交货延迟", "Late delivery"), ("少发漏发", "Short shipment"),
                 ("包装破损", "Damaged packaging"), ("发错型号", "Wrong model shipped")],
    "price": [("发票价格与合同不符", "Invoice price differs from contract"), ("返利未到账", "Rebate not received")],
    "other": [("资料文件申请", "Documentation request"), ("账户信息变更", "Account details change")],
}  # fmt: skip
ROOT_CAUSES = {
    "product_quality": [("热处理工艺参数偏移", "Heat-treatment parameters drifted"),
                        ("供应商来料不良", "Defective supplier material")],
    "service": [("工程师排班不足", "Not enough engineers on shift")],
    "delivery": [("排产冲突", "Production scheduling conflict"), ("物流承运商延误", "Carrier delay")],
    "price": [("合同价未同步至开票系统", "Contract price not synced to invoicing")],
    "other": [("信息录入错误", "Data entry error")],
}  # fmt: skip
# The corrective action taken for each root cause of ROOT_CAUSES (same categories, same order).
CORRECTIVE_ACTIONS = {
    "product_quality": [("重新验证热处理工艺窗口，增加炉温在线监控，受影响批次全部返工。",
                         "Revalidated the heat-treatment window, added online furnace monitoring, reworked every "
                         "affected batch."),
                        ("向供应商发出8D整改要求，来料检验加严一级，不良品已全部更换。",
                         "Sent the supplier an 8D request, tightened incoming inspection, replaced every defective "
                         "part.")],
    "service": [("增加值班工程师，来电4小时未响应自动上报服务主管。",
                 "More engineers on call; a call unanswered after 4 hours now goes to the service supervisor.")],
    "delivery": [("重点客户订单单独排产，每周与客户对齐需求预测。",
                  "Key-account orders get their own production slots; the forecast is aligned with the customer "
                  "weekly."),
                 ("更换承运商并增加在途跟踪，延误提前通知客户。",
                  "Changed carrier and track shipments; the customer hears of any delay in advance.")],
    "price": [("已重开发票；合同价变更后由商务专员当日同步至开票系统。",
               "Invoice reissued; contract price changes now reach invoicing the same day.")],
    "other": [("已更正客户资料，新录入信息改为双人复核。",
               "Records corrected; new entries are now checked by a second person.")],
}  # fmt: skip
ONSITE_REPORTS = [
    ("工程师到场检查设备，更换故障部件并完成调试，设备恢复正常运行。",
     "The engineer inspected the equipment, replaced the faulty part and recommissioned it; it runs normally."),
    ("现场测量确认问题，已取样带回实验室分析，临时措施已落实。",
     "Measured on site and confirmed the problem; samples went to the lab and interim measures are in place."),
    ("与客户生产、质量人员共同排查，调整安装参数后试运行正常。",
     "Checked with the customer's production and quality staff; after adjusting the installation the test run "
     "was normal."),
    ("现场培训操作人员并检查维护记录，客户签字确认。",
     "Trained the operators on site and reviewed the maintenance log; the customer signed off."),
]  # fmt: skip
TICKET_COMMENTS = [
    ("已联系客户确认问题细节。", "Called the customer to confirm the details."),
    ("已安排工程师跟进。", "An engineer is following up."),
    ("等待客户提供样品照片。", "Waiting for photos of the samples from the customer."),
    ("已反馈生产部门分析原因。", "Passed to production for root-cause analysis."),
]
# What the reporter said, one per subject of TICKET_SUBJECTS (same categories, same order).
TICKET_DETAILS = {
    "product_quality": [
        ("客户来料检验发现本批次部分产品尺寸超出图纸公差，已隔离待处理。",
         "Incoming inspection found parts of this batch outside the drawing tolerances; they are quarantined."),
        ("设备在客户产线运行时出现异常噪音和温升，客户担心影响生产。",
         "The unit makes abnormal noise and runs hot on the customer's line; they fear for production."),
        ("客户IQC抽检不合格，整批退回，要求提供出厂检验记录。",
         "Incoming inspection failed the sample and the lot came back; they want our outgoing test records."),
        ("产品安装使用不足三个月即出现故障，客户要求更换并提供失效分析报告。",
         "Units failed within three months of installation; the customer wants replacements and a failure analysis."),
    ],
    "service": [
        ("客户反映技术支持热线两天未回复，设备调试进度受影响。",
         "The customer's call to the support hotline went unanswered for two days, holding up commissioning."),
        ("新产线设备已到货，客户需要我方工程师到现场安装调试。",
         "Equipment for a new line has arrived; the customer needs our engineer on site to install and commission it."),
        ("客户新入职操作人员较多，希望安排一次产品操作与维护培训。",
         "Many new operators at the customer; they would like a training on operation and maintenance."),
        ("客户对上次售后维修的响应速度和维修质量不满意。",
         "The customer is unhappy with how slow and how good the last repair was."),
    ],
    "delivery": [
        ("订单已超过承诺交期一周仍未发货，客户产线面临停线风险。",
         "The order is a week past the promised date and not shipped; the customer's line may stop."),
        ("到货数量与送货单不符，部分型号短缺，需尽快补发。",
         "The quantity received does not match the delivery note; some models are short and must follow quickly."),
        ("货物到达时外包装破损，部分产品受潮，客户拒收该批次。",
         "The goods arrived with damaged packaging and some units wet; the customer refused the batch."),
        ("仓库发错型号，客户要求换货并由我方承担往返运费。",
         "The wrong model was shipped; the customer wants an exchange with the freight both ways paid by us."),
    ],
    "price": [
        ("本月发票单价高于年度合同价，客户财务要求重开发票。",
         "This month's invoice prices are above the annual contract; the customer's finance team wants it reissued."),
        ("上季度返利至今未到账，客户采购经理已多次催问。",
         "Last quarter's rebate has not arrived; their purchasing manager has asked several times."),
    ],
    "other": [
        ("客户需要产品合格证、材质证明及RoHS检测报告用于审核。",
         "The customer needs certificates of conformity, material certificates and RoHS reports for an audit."),
        ("客户公司名称及开票信息变更，需要更新我方系统资料。",
         "The customer's company name and invoicing details changed; our records need updating."),
    ],
}  # fmt: skip
# What the reporter asked for, added to half the descriptions (as many as TICKET_COMMENTS).
TICKET_REQUESTS = [
    ("请尽快安排处理。", "Please deal with it soon."),
    ("客户要求三个工作日内给出书面答复。", "The customer wants a written answer within three working days."),
    ("详细情况请与报告人电话确认。", "Call the reporting contact for the details."),
    ("客户希望本周内有明确结论。", "The customer expects a clear answer this week."),
]

INCENTIVES = {
    "discount": ("年度采购折扣", "Annual volume discount"),
    "rebate": ("阶梯返利", "Tiered rebate"),
    "co_promotion": ("联合市场推广", "Joint marketing campaign"),
    "sales_contest": ("经销商销售竞赛", "Dealer sales contest"),
}

CHURN_NOTES = {
    "direction_change": ("客户出售了相关业务，需求大幅减少。",
                         "The customer sold the business unit that used our products."),
    "moved_upstream": ("客户自建产线，开始自制同类产品。",
                       "The customer built its own line and now makes the product itself."),
    "competitor_price": ("竞争对手报价低于我方15%以上。", "A competitor undercut us by more than 15%."),
    "competitor_product": ("竞争对手提供了我们没有的集成方案。",
                           "A competitor offered an integrated solution we do not have."),
    "competitor_service": ("竞争对手的服务响应更快，关键联系人离职后关系中断。",
                           "The competitor's service was faster; our key contact left and the relationship lapsed."),
    "commercial_bribery": ("怀疑竞争对手存在商业贿赂，新任采购负责人转向对手。",
                           "Suspected bribery: the new head of purchasing switched to a competitor."),
    "needs_not_met": ("客户新产品需要的型号我们无法提供。", "We could not supply what their new products needed."),
    "complaints_unresolved": ("多次质量投诉未及时解决，客户不满离开。",
                              "Repeated quality complaints were not solved in time."),
}  # fmt: skip

# Account managers and the other demo users' names: (first_name, last_name).
STAFF_NAMES = [
    ("伟", "王"), ("Emily", "Chen"), ("敏", "李"), ("David", "Zhang"), ("静", "刘"), ("Kevin", "Wu"),
    ("磊", "杨"), ("Grace", "Lin"), ("娜", "黄"), ("Peter", "Zhou"), ("强", "赵"), ("Sophie", "Xu"),
    ("杰", "孙"), ("Mark", "Ma"), ("芳", "朱"), ("Julia", "Hu"), ("涛", "郭"), ("Daniel", "He"),
    ("丽", "高"), ("Anna", "Luo"),
]  # fmt: skip
