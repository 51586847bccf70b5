"""Exports written by background jobs as tests use them: ask for one (tasks run in-process, so the
job is done when the answer comes) and download the file."""

from urllib.parse import urlencode

from django.urls import resolve, reverse


def xlsx_job_url(client, params=None, **extra) -> str:
    """Ask for the export of the list with these filters; the job page's address."""
    url = reverse("export_xlsx")
    if params:
        url += "?" + urlencode(params, doseq=True)
    response = client.post(url, **extra)
    assert response.status_code == 302, response.status_code
    return response["Location"]


def xlsx_download(client, params=None, **extra):
    """The download's response for the export of the list with these filters."""
    job_url = xlsx_job_url(client, params, **extra)
    pk = resolve(job_url).kwargs["pk"]
    return client.get(reverse("export_job_download", args=[pk]), **extra)


def records_download(client, kind: str, extension: str, **extra):
    """A record export as its user gets it from the import page's buttons (a POST): a CSV small
    enough comes back at once; a larger one, or a workbook, is written by its job (done when the
    answer comes) and downloaded from the job's page."""
    response = client.post(reverse("export_records", args=[kind, extension]), **extra)
    if response.status_code != 302:
        return response
    pk = resolve(response["Location"]).kwargs["pk"]
    assert client.get(response["Location"], **extra).status_code == 200
    return client.get(reverse("export_job_download", args=[pk]), **extra)
