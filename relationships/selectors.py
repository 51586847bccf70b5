"""Reads of the relationship network, shaped for pages."""


def relationship_map(*, customer) -> dict:
    """The relationship section of the customer 360 page."""
    return {}
