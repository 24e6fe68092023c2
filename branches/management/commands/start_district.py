"""`manage.py start_district NAME --staff USERNAME`: the first step of a real district.

Creates the root committee (党工委) and its first organisation staff account, and prints
that account's one-time password with the sign-in address. Everything else (committees,
branches, accounts, imports) then happens in the browser under /work/organisation/.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from branches.services.accounts import district_start, one_time_password_groups


class Command(BaseCommand):
    help = (
        "Create a district's root committee and its first organisation staff account, "
        "and print that account's one-time password."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The root committee's name, e.g. 某某示范区党工委.")
        parser.add_argument(
            "--staff", required=True, help="Login name of the first organisation staff account."
        )
        parser.add_argument(
            "--full-name", default="", help="That person's full name, surname first."
        )

    def handle(self, *args, name: str, staff: str, full_name: str, **options):
        try:
            committee, user, password = district_start(
                name=name, username=staff, full_name=full_name
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        sign_in_url = settings.PUBLIC_BASE_URL + reverse("login")
        self.stdout.write(self.style.SUCCESS(f"已建立“{committee.name}”（党工委）。"))
        self.stdout.write(f"组织部门管理员账号：{user.username}")
        self.stdout.write(
            f"一次性密码：{password}"
            f"（共 {len(password)} 位，分段读：{' '.join(one_time_password_groups(password))}）"
        )
        self.stdout.write(f"登录地址：{sign_in_url}")
        self.stdout.write(
            "请把一次性密码当面交给本人：首次登录须设置自己的密码。此密码不会再次显示。"
        )
