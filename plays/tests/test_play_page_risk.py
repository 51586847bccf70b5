"""The play page tells the risk when the play opened in the reader's language."""

import pytest
from django.urls import reverse

from keyaccounts.tests import factories as f


@pytest.mark.parametrize(("language", "shown"), [("zh-hans", "当时风险 46（红色）"), ("en", "risk then 46 (Red)")])
def test_the_band_when_opened_is_named_in_the_readers_language(client, alice, language, shown):
    play = f.PlayFactory(customer=f.CustomerFactory(owner=alice), score_at_open=46.2, band_at_open="red")
    client.force_login(alice)
    html = client.get(reverse("play_detail", args=[play.pk]), HTTP_ACCEPT_LANGUAGE=language).text
    assert shown in html
