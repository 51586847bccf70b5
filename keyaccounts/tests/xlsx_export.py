"""The customer list's XLSX export as tests use it: ask for it (tasks run in-process, so the job
is done when the answer comes) and download the workbook."""

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
