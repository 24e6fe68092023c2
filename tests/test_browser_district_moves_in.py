"""A real district moves in, end to end in headless Chromium: from an empty database and
`start_district`, organisation staff set their own password, import the organisation and
then a 300-member roster from the downloaded templates, give a secretary an account, and
that secretary sets a password and writes the first pledge for an imported member."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from branches.enums import StaffRole
from branches.models import Branch, Committee, CommitteeStaff, Member, OneTimePassword
from pledges.models import Pledge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = "漯河市城乡一体化示范区党工委"
TOWNS = ["姬石镇党委", "老窝镇党委", "机关事业党委"]
# Ten branches: (name, kind label, committee, village).
BRANCHES = [
    ("范寨村党支部", "农村", "姬石镇党委", "范寨村"),
    ("姬石村党支部", "农村", "姬石镇党委", "姬石村"),
    ("后谢村党支部", "农村", "姬石镇党委", "后谢村"),
    ("姬石镇卫生院党支部", "卫生院", "姬石镇党委", ""),
    ("老窝村党支部", "农村", "老窝镇党委", "老窝村"),
    ("坡杨村党支部", "农村", "老窝镇党委", "坡杨村"),
    ("老窝镇中心学校党支部", "学校", "老窝镇党委", ""),
    ("示范区党政综合办公室党支部", "机关", "机关事业党委", ""),
    ("示范区财政局党支部", "机关", "机关事业党委", ""),
    ("示范区实验学校党支部", "学校", "机关事业党委", ""),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "建国秀英桂兰国胜荣花红军彦军丽娟志强海燕德明玉梅长春晓燕文华"
NEW_PASSWORD = "Zhishi-2026-春风"
TITLE = "每月给村东生产路树木浇水一次"


def member_name(number: int) -> str:
    given = GIVEN[2 * (number % 15) : 2 * (number % 15) + 2]
    return f"{SURNAMES[number % 20]}{given}{'一二三四五六七八九十'[number // 30 % 10]}"


def fill_template(path, rows) -> bytes:
    """The downloaded template with its example row replaced by `rows`."""
    workbook = load_workbook(io.BytesIO(path.read_bytes()))
    sheet = workbook.active
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def organisation_rows():
    committees = [["党委", name, "", "镇（街道）党委", "", ""] for name in TOWNS]
    committees[2][3] = "机关事业党委"
    branches = [
        ["党支部", name, committee, kind, village, f"{member_name(index)}"]
        for index, (name, kind, committee, village) in enumerate(BRANCHES)
    ]
    return committees + branches


def roster_rows():
    """300 members, 30 a branch; every tenth an old member exempt from pledging."""
    rows = []
    for number in range(300):
        branch = BRANCHES[number // 30][0]
        exempt = number % 10 == 9
        rows.append(
            [
                None,
                "",
                branch,
                member_name(number),
                "女" if number % 2 else "男",
                1945 + number % 50,
                f"{1945 + number % 50 + 20 + number % 10}-07-01",
                f"139{number:08d}",
                "是" if exempt else "否",
                "年老体弱" if exempt else "",
                "",
                "是",
            ]
        )
    return rows


def download(page, link_name):
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    return Path(info.value.path())


def upload_and_confirm(page, tmp_path, filename, content):
    path = tmp_path / filename
    path.write_bytes(content)
    page.get_by_label("表格文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_role("button", name="确认导入").click()
    page.get_by_text("已导入").first.wait_for()


def sign_in_first_time(page, base, username, one_time_password):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(one_time_password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="设置您自己的密码").wait_for()
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url(f"{base}/work/")


def test_a_district_moves_in_and_writes_its_first_pledge(live_server, page, tmp_path):
    base = live_server.url
    output = io.StringIO()
    call_command("start_district", ROOT, "--staff", "zuzhi", "--full-name", "刘晓燕", stdout=output)
    [line] = [line for line in output.getvalue().splitlines() if line.startswith("一次性密码：")]
    one_time_password = line.removeprefix("一次性密码：").split("（")[0]

    # The organisation staff member's first sign-in asks for a password of their own.
    sign_in_first_time(page, base, "zuzhi", one_time_password)
    assert not OneTimePassword.objects.filter(user__username="zuzhi").exists()

    # The organisation from the downloaded template: 3 committees and 10 branches.
    page.get_by_role("link", name="组织", exact=True).click()
    page.get_by_role("link", name="导入组织架构").click()
    template = download(page, "下载空白模板")
    upload_and_confirm(
        page, tmp_path, "组织架构.xlsx", fill_template(template, organisation_rows())
    )
    root = Committee.objects.get(name=ROOT)
    assert Committee.objects.filter(parent=root).count() == 3
    assert Branch.objects.count() == 10
    fanzhai = Branch.objects.get(name="范寨村党支部")
    assert (fanzhai.committee.name, fanzhai.village) == ("姬石镇党委", "范寨村")

    # The roster: 300 members.
    page.get_by_role("link", name="返回导入页").click()
    page.get_by_role("link", name="党员名册").first.click()
    template = download(page, "下载空白模板")
    upload_and_confirm(page, tmp_path, "党员名册.xlsx", fill_template(template, roster_rows()))
    assert Member.objects.filter(is_active=True).count() == 300
    assert Member.objects.filter(is_exempt=True).count() == 30

    # Importing the same roster again changes nothing.
    page.get_by_role("link", name="返回导入页").click()
    path = tmp_path / "党员名册.xlsx"
    page.get_by_label("表格文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_text("不变").first.wait_for()
    assert Member.objects.count() == 300

    # An account for 范寨村's secretary, handed over on paper.
    page.goto(f"{base}/work/organisation/accounts/add/secretary/?branch={fanzhai.pk}")
    page.get_by_label("姓名").fill("王彦军")
    page.get_by_label("登录名").fill("fanzhai")
    page.get_by_role("button", name="开设账号").click()
    password = "".join(page.locator(".handover-password span").all_inner_texts())
    assert len(password) == 10
    fanzhai.refresh_from_db()
    assert fanzhai.secretary.username == "fanzhai"
    assert not CommitteeStaff.objects.filter(user=fanzhai.secretary).exists()
    page.get_by_role("button", name="退出").click()

    # The secretary's first sign-in, then the first pledge for an imported member.
    sign_in_first_time(page, base, "fanzhai", password)
    page.get_by_role("link", name="承诺", exact=True).click()
    page.get_by_role("link", name="写承诺").click()
    pledger = Member.objects.filter(branch=fanzhai, is_exempt=False).order_by("name").first()
    page.get_by_label("承诺人").select_option(label=pledger.name)
    page.get_by_label("承诺事项").fill(TITLE)
    page.get_by_label("具体内容").fill("每月第一个周六上午浇水一次，天旱时加浇。")
    page.get_by_label("服务对象").fill("村东生产路沿线农户")
    page.get_by_label("类别").select_option(label="人居环境")
    page.get_by_label("完成时限").fill(f"{timezone.localdate().year}-12-31")
    page.get_by_role("button", name="提交审核").click()
    page.get_by_text("待审核").first.wait_for()

    pledge = Pledge.objects.get(title=TITLE)
    assert (pledge.member, pledge.owner_branch) == (pledger, fanzhai)
    assert pledge.transitions.get().actor.username == "fanzhai"
    # Nobody but the organisation staff member holds a staff role.
    assert list(CommitteeStaff.objects.values_list("user__username", "role")) == [
        ("zuzhi", StaffRole.ORGANISATION)
    ]
