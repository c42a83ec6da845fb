"""Rating a meeting once it is over: from the signed link mailed to each attendee (no sign-in needed), or from the
person's own page. Both write through ``scheduling.services.feedback``.

The mailed link opens this page with the rating picked; sending it takes a click here, because mail scanners open
every link in a message, and a rating given by opening a link would be theirs.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cohort.models import Person
from scheduling.models import Meeting, MeetingFeedback
from scheduling.pages.people import add_errors, own_page
from scheduling.services.feedback import (
    FeedbackLinkInvalid,
    attends,
    feedback_given,
    feedback_link_open,
    meeting_feedback_give,
    why_not_rateable,
)
from scholars.models import Scholar


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How useful was it?",
        choices=list(reversed(MeetingFeedback.Rating.choices)),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Pick a rating."},
    )
    note = forms.CharField(
        label="A note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@require_http_methods(["GET", "POST"])
def feedback_by_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        meeting, person = feedback_link_open(token)
    except FeedbackLinkInvalid as error:
        return render(
            request, "pages/feedback.html", {"title": "Rate a meeting", "refused": str(error)}, status=404
        )
    return _feedback_page(request, meeting, person)


@require_http_methods(["GET", "POST"])
@own_page(scholars=True, mentors=True)
def feedback_signed_in(request: HttpRequest, person: Person, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.select_related("series__mentor"), pk=pk)
    if not attends(meeting, person):
        raise Http404("No such meeting of yours.")
    return _feedback_page(request, meeting, person)


def _feedback_page(request: HttpRequest, meeting: Meeting, person: Person) -> HttpResponse:
    given = feedback_given(meeting, person)
    refused = None if given else why_not_rateable(meeting, person, now=timezone.now())
    form = FeedbackForm(request.POST or None, initial={"rating": request.GET.get("rating")})
    if request.method == "POST" and given is None and refused is None and form.is_valid():
        try:
            meeting_feedback_give(meeting=meeting, person=person, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Thank you: your rating is sent.")
            return redirect(request.get_full_path())
    with timezone.override(ZoneInfo(person.time_zone)):
        return render(
            request,
            "pages/feedback.html",
            {
                "title": f"Rate: {meeting.series.title}",
                "meeting": meeting,
                "person": person,
                "for_scholar": isinstance(person, Scholar),
                "form": form,
                "given": given,
                "refused": refused,
                "viewer_zone": person.time_zone,
            },
            status=400 if form.errors else 200,
        )
