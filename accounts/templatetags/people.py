from django import template

from accounts.people import display_name

register = template.Library()


@register.filter(name="person")
def person(user) -> str:
    """{{ user|person }}: the name as colleagues write it (中文: family name first)."""
    return display_name(user)
