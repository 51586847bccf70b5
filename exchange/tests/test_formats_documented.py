"""The README's format tables are the formats the import accepts."""

from pathlib import Path

from exchange.formats import FORMATS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_column_of_every_kind_is_in_the_readme_with_both_headers():
    section = README[README.index("### Formats") :]
    for fmt in FORMATS.values():
        assert f"**{fmt.kind}**" in section
        for column in fmt.columns:
            required = "yes" if column.required else ""
            assert f"| `{column.key}` | {column.zh} | {required} |" in section, (fmt.kind, column.key)
