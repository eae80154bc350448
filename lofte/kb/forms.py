"""The knowledge-base pages' forms: they only carry the input; every rule (titles, slugs, languages, who may
publish) is the services' (lofte.kb.services), whose errors the views put beside the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lofte.kb.models import Category, Section, Visibility
from lofte.kb.services import MAX_BODY, MAX_TITLE, category_name

NAME_LANGUAGES = ("en", "sv", "da", "nb", "fi")


def section_choices(sections: list[Section], language: str) -> list[tuple[str, list[tuple[int, str]]]]:
    """Sections grouped by their category (an <optgroup> each)."""
    groups: dict[int, tuple[str, list[tuple[int, str]]]] = {}
    for section in sections:
        category = section.category
        group = groups.setdefault(category.pk, (category_name(category, language), []))
        group[1].append((section.pk, category_name(section, language)))  # type: ignore[arg-type]
    return list(groups.values())


class _Text(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE + 50, required=False)
    slug = forms.CharField(
        label=_("Address (slug)"),
        max_length=160,
        required=False,
        help_text=_("Lower-case letters a-z, digits and hyphens. Left empty, it is made from the title."),
    )
    body = forms.CharField(
        label=_("Text (Markdown)"),
        max_length=MAX_BODY + 1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "id": "reply-body", "class": "kb-body"}),
    )


class ArticleForm(_Text):
    section = forms.TypedChoiceField(label=_("Section"), coerce=int, choices=())
    language = forms.CharField(label=_("Language"), widget=forms.Select(choices=settings.LANGUAGES))
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices, initial=Visibility.PUBLIC)
    field_order = ["section", "language", "title", "slug", "body", "visibility"]

    def __init__(self, *args: Any, sections: list[Section], language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections = {s.pk: s for s in sections}
        self.fields["section"].choices = section_choices(sections, language)  # type: ignore[attr-defined]


class TranslationForm(_Text):
    """A new translation: the language is fixed by the address."""


class EditForm(_Text):
    note = forms.CharField(
        label=_("Note (what changed)"), max_length=300, required=False, help_text=_("Optional; shown in the history.")
    )


class SettingsForm(forms.Form):
    section = forms.TypedChoiceField(label=_("Section"), coerce=int, choices=())
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices)
    fallback_language = forms.ChoiceField(
        label=_("Fallback language"),
        choices=(),
        help_text=_("Shown to readers whose language the article has no translation in."),
    )
    related = forms.TypedMultipleChoiceField(
        label=_("Related articles"),
        coerce=int,
        choices=(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(
        self,
        *args: Any,
        sections: list[Section],
        languages: list[str],
        related: list[tuple[int, str]],
        language: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sections = {s.pk: s for s in sections}
        names = dict(settings.LANGUAGES)
        self.fields["section"].choices = section_choices(sections, language)  # type: ignore[attr-defined]
        self.fields["fallback_language"].choices = [(code, names.get(code, code)) for code in languages]  # type: ignore[attr-defined]
        self.fields["related"].choices = related  # type: ignore[attr-defined]


class _Names(forms.Form):
    name_en = forms.CharField(label=_("Name in English"), max_length=120, required=False)
    name_sv = forms.CharField(label=_("Name in Swedish"), max_length=120, required=False)
    name_da = forms.CharField(label=_("Name in Danish"), max_length=120, required=False)
    name_nb = forms.CharField(label=_("Name in Norwegian"), max_length=120, required=False)
    name_fi = forms.CharField(label=_("Name in Finnish"), max_length=120, required=False)
    slug = forms.CharField(
        label=_("Address (slug)"), max_length=80, help_text=_("Lower-case letters a-z, digits and hyphens.")
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=100_000, initial=0)

    def names(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"name_{code}") or "" for code in NAME_LANGUAGES}

    @staticmethod
    def initial_of(thing: Category | Section) -> dict[str, Any]:
        initial: dict[str, Any] = {f"name_{code}": (thing.names or {}).get(code, "") for code in NAME_LANGUAGES}
        initial.update(slug=thing.slug, position=thing.position)
        return initial


class CategoryForm(_Names):
    requires_review = forms.BooleanField(
        label=_("Changes need a review"),
        required=False,
        help_text=_("Agents' changes are published only after a team lead or an admin reviews them."),
    )

    @staticmethod
    def initial_of(thing: Category | Section) -> dict[str, Any]:
        initial = _Names.initial_of(thing)
        initial["requires_review"] = getattr(thing, "requires_review", False)
        return initial


class SectionForm(_Names):
    pass


class ReturnForm(forms.Form):
    note = forms.CharField(label=_("What should change"), max_length=300, required=False)
