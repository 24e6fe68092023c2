"""End to end in a real headless Chromium: the 范寨村 secretary writes a pledge from a
need and submits it, 姬石镇 staff approve it, the secretary publishes it, starts it and
records progress with a photo."""

import io
import os
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from pledges.enums import PledgeStatus
from pledges.models import Pledge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo12345"
TITLE = "为村西五保户修缮漏雨的屋顶"


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base_url}/work/")


def sign_out(page):
    page.get_by_role("button", name="退出").click()


def photo_file(tmp_path):
    path = tmp_path / "屋顶.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 60, 40)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def csp_violations(page) -> list[str]:
    """The Content-Security-Policy violations Chromium reports on the console from now on:
    "Refused to apply inline style because it violates the following Content Security
    Policy directive…" in older versions, "Applying inline style violates the following
    Content Security Policy directive…" in newer ones."""
    refused = []

    def note(message):
        if message.text.startswith("Refused to") or "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", note)
    return refused


def assert_console_reports_csp_violations(page, refused):
    """The listener works: a style attribute written into the page is refused and seen."""
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_timeout(200)
    assert any("inline style" in text for text in refused), refused


def test_secretary_and_staff_run_a_pledge_from_need_to_progress(live_server, page, tmp_path):
    call_command("seed_demo", "--bulk", verbosity=0)
    base = live_server.url
    refused = csp_violations(page)

    # 定诺: the secretary starts from an open need on the home page.
    sign_in(page, base, "fanzhai")
    page.get_by_role("link", name="认领并写承诺").first.click()
    page.get_by_label("承诺事项").fill(TITLE)
    page.get_by_label("具体内容").fill("组织党员筹料，十二月底前修好屋顶。")
    page.get_by_label("服务对象").fill("村西五保户")
    page.get_by_label("完成时限").fill(f"{timezone.localdate().year}-12-31")
    page.get_by_role("button", name="提交审核").click()
    page.get_by_text("待审核").first.wait_for()
    pledge = Pledge.objects.get(title=TITLE)
    assert pledge.status == PledgeStatus.SUBMITTED
    assert pledge.needs.count() == 1
    sign_out(page)

    # Approval by 姬石镇党委 staff: their to-do shows the oldest waiting first and leads to
    # the approvals list, which they narrow to the branch.
    sign_in(page, base, "jishi")
    page.get_by_role("link", name=re.compile("进入审核")).click()
    page.get_by_label("党支部").select_option(label="范寨村党支部")
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name=TITLE).first.click()
    page.get_by_role("button", name="审核通过").click()
    page.get_by_text("审核通过").first.wait_for()
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.APPROVED
    sign_out(page)

    # 示诺 and 践诺 by the secretary.
    sign_in(page, base, "fanzhai")
    page.get_by_role("link", name="批量公示").click()
    page.get_by_role("button", name="公示").click()
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PUBLISHED
    page.goto(f"{base}/work/pledges/{pledge.pk}/")
    page.get_by_role("button", name="开始践诺").click()
    page.get_by_role("link", name="记录践诺情况").click()
    page.get_by_label("推进情况").fill("买齐瓦片和防水卷材，修好东侧屋顶。")
    page.locator("input[type=file]").set_input_files(str(photo_file(tmp_path)))
    page.get_by_role("button", name="保存").click()
    page.get_by_text("买齐瓦片和防水卷材").first.wait_for()

    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.IN_PROGRESS
    record = pledge.progress_records.get()
    photo = record.photos.get()
    assert photo.thumbnail.name
    assert page.locator(f"img[src*='{os.path.basename(photo.thumbnail.name)}']").count() == 1

    # No page of the flow broke the Content-Security-Policy (no inline script or style).
    assert refused == []
    assert_console_reports_csp_violations(page, refused)
