"""A rejected form shows one error summary at the top of the page, each error linked to its
field; forms.js moves focus to the first field in error (issue 9)."""

import datetime
from html.parser import HTMLParser

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from branches.enums import Gender
from branches.templatetags.form_errors import error_items
from tests import factories

HEADING = "提交未成功，请修改以下"


class Page(HTMLParser):
    """The ids on a page, and the error summaries with the links and text of their items."""

    def __init__(self, text):
        super().__init__()
        self.ids = []
        self.summaries = []  # one list of (href, text) per summary
        self._depth = 0  # <div> depth inside the summary being read, 0 outside
        self._item = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "div" and "data-error-summary" in attrs:
            assert attrs.get("role") == "alert"
            self.summaries.append([])
            self._depth = 1
        elif tag == "div" and self._depth:
            self._depth += 1
        elif tag == "li" and self._depth:
            self._item = ["", ""]
        elif tag == "a" and self._item is not None:
            self._item[0] = attrs.get("href", "")

    def handle_endtag(self, tag):
        if tag == "div" and self._depth:
            self._depth -= 1
        elif tag == "li" and self._item is not None:
            self.summaries[-1].append(tuple(self._item))
            self._item = None

    def handle_data(self, data):
        if self._item is not None:
            self._item[1] += data.strip()


def summary_of(response) -> list[tuple[str, str]]:
    """The items of the page's one error summary, after checking there is exactly one and
    that every link points at an id on the page."""
    assert response.status_code == 200
    text = response.content.decode()
    page = Page(text)
    assert len(page.summaries) == 1
    assert text.count(HEADING) == 1
    items = page.summaries[0]
    assert f"{HEADING} {len(items)} 处：" in text
    assert text.count('<script src="/static/js/forms.js" defer></script>') == 1
    for href, _text in items:
        if href:
            assert href.startswith("#")
            assert page.ids.count(href[1:]) == 1, href
    return items


def days(count):
    return timezone.localdate() + datetime.timedelta(days=count)


def pledge_data(**extra):
    due = days(10)
    data = {
        "member": "",
        "title": "给村东生产路树木浇水",
        "content": "每次浇透，旱季加一次。",
        "beneficiaries": "沿路农户",
        "category": "environment",
        "year": str(due.year),
        "due_date": due.isoformat(),
        "rhythm": "",
        "action": "draft",
        "nodes-TOTAL_FORMS": "3",
        "nodes-INITIAL_FORMS": "0",
        "nodes-MIN_NUM_FORMS": "0",
        "nodes-MAX_NUM_FORMS": "60",
    }
    data.update(extra)
    return data


def member_data(**extra):
    data = {
        "name": "李荣花",
        "gender": Gender.FEMALE,
        "birth_year": "1968",
        "joined_on": "1995-07-01",
        "phone": "139-0000 0000",
    }
    data.update(extra)
    return data


# --- Pages: one summary, linked to fields that exist ------------------------------------


def test_pledge_form_rejected_links_fields_and_time_node_rows(org, client_as):
    factories.make_need(branch=org.branch)
    response = client_as("secretary").post(
        reverse("pledges:pledge_add", args=[org.branch.pk]),
        pledge_data(title="", needs=["999999"], **{"nodes-1-description": "清理排水沟"}),
    )
    items = summary_of(response)
    assert [href for href, _text in items] == ["#id_needs_0", "#id_title", "#id_nodes-1-due_on"]
    assert items[2] == ("#id_nodes-1-due_on", "第 2 行 · 节点日期：请填写这个节点的日期。")
    assert items[1][1].startswith("承诺事项：")


def test_member_form_rejected_shows_chinese_messages(org, client_as):
    response = client_as("secretary").post(
        reverse("branches:member_add", args=[org.branch.pk]), member_data(name="", phone="abc")
    )
    items = summary_of(response)
    assert [href for href, _text in items] == ["#id_name", "#id_phone"]
    assert items[0] == ("#id_name", "姓名：请填写姓名。")


def test_member_exemption_form_rejected_is_summarised(org, client_as):
    member = factories.make_member(branch=org.branch)
    response = client_as("secretary").post(
        reverse("branches:member_exempt", args=[member.pk]), {"is_exempt": "on"}
    )
    assert summary_of(response) == [("#id_exemption_reason", "免于承诺原因：免于承诺须选择原因。")]


def test_need_form_rejected_shows_chinese_messages(org, client_as):
    response = client_as("secretary").post(
        reverse("pledges:need_add", args=[org.branch.pk]),
        {"description": "", "category": "infrastructure", "source": "rumour", "urgency": "high"},
    )
    items = summary_of(response)
    assert len(items) == 2
    assert "这个字段是必填项。" in items[0][1]
    assert "选择一个有效的选项" in items[1][1]


def test_organisation_branch_form_rejected_is_summarised(org, client_as):
    response = client_as("town_organiser").post(
        reverse("branches:org_branch_add"),
        {"name": "王庄村党支部", "village": "王庄村", "committee": org.town.pk},
    )
    items = summary_of(response)
    assert len(items) == 1
    assert items[0][0].startswith("#id_kind")
    assert "请选择党支部类型" in items[0][1]


def test_password_change_rejected_is_summarised(org, client_as):
    response = client_as("secretary").post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "lighthouse-7291", "new_password2": "x"},
    )
    items = summary_of(response)
    assert [href for href, _text in items] == ["#id_old_password", "#id_new_password2"]
    assert "旧密码" in items[0][1]


def test_failed_sign_in_summary_has_an_unlinked_error(client, org):
    response = client.post(reverse("login"), {"username": "fanzhai", "password": "wrong"})
    items = summary_of(response)
    assert len(items) == 1
    assert items[0][0] == ""


@pytest.mark.parametrize(
    ("who", "url_name", "by_branch"),
    [
        ("secretary", "pledges:pledge_add", True),
        ("secretary", "branches:member_add", True),
        ("secretary", "pledges:need_add", True),
        ("town_organiser", "branches:org_branch_add", False),
        ("secretary", "password_change", False),
    ],
)
def test_form_pages_without_errors_show_no_summary(org, client_as, who, url_name, by_branch):
    args = [org.branch.pk] if by_branch else []
    response = client_as(who).get(reverse(url_name, args=args))
    text = response.content.decode()
    assert response.status_code == 200
    assert Page(text).summaries == []
    assert HEADING not in text
    assert "forms.js" not in text  # pages without errors load no script


def test_field_describes_its_help_and_errors(org, client_as):
    response = client_as("secretary").post(
        reverse("branches:member_add", args=[org.branch.pk]), member_data(birth_year="1800")
    )
    page = Page(response.content.decode())
    text = response.content.decode()
    field = text[text.index('name="birth_year"') :].split(">", 1)[0]
    assert 'aria-invalid="true"' in field
    for described in field.split('aria-describedby="', 1)[1].split('"', 1)[0].split():
        assert described in page.ids


# --- The items themselves ---------------------------------------------------------------


class RowForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    amount = forms.IntegerField(label="数量")


RowFormSet = forms.formset_factory(RowForm, extra=0)


def test_error_items_name_rows_and_tell_each_form_once():
    formset = RowFormSet(
        {
            "rows-TOTAL_FORMS": "2",
            "rows-INITIAL_FORMS": "0",
            "rows-0-token": "a",
            "rows-0-amount": "1",
            "rows-1-amount": "x",
        },
        prefix="rows",
    )
    unbound = RowForm()
    rows = [{"form": form} for form in formset]  # the rows listed again, as pages do
    items = error_items([rows, formset, unbound])
    assert [(item["href"], item["label"]) for item in items] == [
        ("", "第 2 行 · Token"),
        ("#id_rows-1-amount", "第 2 行 · 数量"),
    ]


def test_error_items_of_a_form_without_errors_are_none():
    assert error_items([RowForm({"token": "a", "amount": "3"})]) == []


# --- In a phone's browser ----------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rejected_pledge_form_focuses_first_field_in_error(live_server, page, org):
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill("fanzhai")
    page.get_by_label("密码").fill("pw-12345678")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/work/")

    page.goto(base + reverse("pledges:pledge_add", args=[org.branch.pk]))
    page.get_by_label("承诺事项").fill("给村东生产路树木浇水")
    page.get_by_label("具体内容").fill("每次浇透，旱季加一次。")
    page.get_by_label("服务对象").fill("沿路农户")
    page.locator("#id_category").select_option("environment")
    page.get_by_label("完成时限").fill(days(30).isoformat())
    # A node task without its date: only the server refuses it, far below the fold.
    page.locator("#id_nodes-1-description").fill("清理排水沟")
    page.get_by_role("button", name="保存草稿").click()

    summary = page.get_by_role("alert")
    summary.wait_for()
    page.wait_for_load_state("domcontentloaded")  # deferred scripts have run
    assert page.evaluate("document.activeElement.id") == "id_nodes-1-due_on"
    assert page.locator("#id_nodes-1-due_on").evaluate("e => e.getAttribute('aria-invalid')") == (
        "true"
    )
    in_view = page.evaluate(
        "() => { const r = document.activeElement.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    assert in_view
    box = summary.bounding_box()
    assert box["width"] <= 360

    # A link of the summary focuses its field.
    page.locator("#id_title").focus()
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "id_nodes-1-due_on"
    page.screenshot(path="/tmp/pledge-form-rejected.png")
