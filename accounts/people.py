"""How people's names are shown: Chinese names family name first and without a space."""


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def person_name(first_name: str, last_name: str) -> str:
    if _is_cjk(last_name) or _is_cjk(first_name):
        return f"{last_name}{first_name}"
    return f"{first_name} {last_name}".strip()


def display_name(user) -> str:
    """The user's name as colleagues write it, falling back to the username."""
    if user is None:
        return ""
    return person_name(user.first_name, user.last_name) or user.get_username()
