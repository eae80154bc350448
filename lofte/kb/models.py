"""The knowledge base: one set of answers for every channel.

An *article* is one answer; its *translations* are that answer in each language, each with its own slug, its
live (published) title and body, and a history of *revisions*. Articles sit in *sections* of *categories*;
a category may ask that every change be reviewed before it is published. An article is public (the help centre,
the contact form's suggestions, the API without a token) or internal (agents only).

The search index lives beside the articles: one `KbDocument` per live translation (the analysed words, under the
database's own full-text index, lofte.kb.lexical) and its `KbChunk`s (passages with their embeddings, computed in
the background, lofte.kb.dense). `KbIndexState.version` changes with every write to the index, so each process
knows when the embeddings it holds in memory are stale.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal (agents only)")


class RevisionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for review")
    PUBLISHED = "published", _("Published")
    RETURNED = "returned", _("Sent back")


class Channel(models.TextChoices):
    """Where a reader searched or voted."""

    HELP_CENTRE = "help_centre", _("Help centre")
    CONTACT_FORM = "contact_form", _("Contact form")
    PORTAL = "portal", _("Portal")
    AGENT = "agent", _("Agent")
    API = "api", _("API")


class Category(models.Model):
    """A top-level grouping in the help centre. `names` and `descriptions` hold one text per language."""

    slug = models.SlugField(max_length=80, unique=True)
    names = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    requires_review = models.BooleanField(
        default=False, help_text=_("Changes to its articles are published only after a lead or admin reviews them.")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.slug


class Section(models.Model):
    """A group of articles inside a category."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="sections")
    slug = models.SlugField(max_length=80)
    names = models.JSONField(default=dict)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [models.UniqueConstraint(fields=["category", "slug"], name="kb_section_slug_unique")]

    def __str__(self) -> str:
        return f"{self.category.slug}/{self.slug}"


class Article(models.Model):
    """One answer, in as many languages as it has translations. `fallback_language` is the translation shown
    (and said to be shown) where the reader's language has none."""

    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    fallback_language = models.CharField(max_length=8, default="en")
    position = models.PositiveIntegerField(default=0)
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"article {self.pk}"


class ArticleTranslation(models.Model):
    """An article in one language: its slug and its live (published) title and body. The editor's working copy is
    the newest revision; publishing copies a revision here. `published_at` None: never published (a draft)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8)
    slug = models.SlugField(max_length=120, allow_unicode=False)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    view_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["article_id", "language"]
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="kb_translation_one_per_language"),
            models.UniqueConstraint(fields=["language", "slug"], name="kb_translation_slug_unique"),
        ]
        indexes = [
            models.Index(fields=["language", "-view_count"], name="kb_translation_most_read"),
        ]

    def __str__(self) -> str:
        return f"{self.language}/{self.slug}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ArticleRevision(models.Model):
    """One saved version of a translation: who wrote it, when, and what became of it."""

    translation = models.ForeignKey(ArticleTranslation, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    state = models.CharField(max_length=12, choices=RevisionState.choices, default=RevisionState.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["translation_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="kb_revision_number_unique"),
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="kb_revision_state")]

    def __str__(self) -> str:
        return f"{self.translation} #{self.number}"


class SlugRedirect(models.Model):
    """A slug a translation had before it was renamed: its old address answers 301 to the new one."""

    language = models.CharField(max_length=8)
    slug = models.SlugField(max_length=120)
    translation = models.ForeignKey(ArticleTranslation, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["language", "slug"], name="kb_redirect_slug_unique")]

    def __str__(self) -> str:
        return f"{self.language}/{self.slug}"


def article_file_path(instance: ArticleFile, filename: str) -> str:
    return f"kb/{instance.article_id}/{filename}"


class ArticleFile(models.Model):
    """A file or image attached to an article; the body shows an image with `![text](file:NAME)`."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to=article_file_path, max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["article", "name"], name="kb_file_name_unique")]

    def __str__(self) -> str:
        return self.name


class ArticleVote(models.Model):
    """ "Did this help?": one reader's yes or no on an article, in a language and a channel."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    language = models.CharField(max_length=8)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["article", "helpful"], name="kb_vote_article")]

    def __str__(self) -> str:
        return f"{'yes' if self.helpful else 'no'} on article {self.article_id}"


class SearchLog(models.Model):
    """One search a reader made, for the report of searches that found nothing. The query is cut to 200
    characters; `found` counts the results, `good` says whether any was a good match."""

    query = models.CharField(max_length=200)
    language = models.CharField(max_length=8)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    found = models.PositiveIntegerField()
    good = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.query


class KbDocument(models.Model):
    """The search index's row for one live translation: its words as the analyser made them (stems, compound
    parts, words without diacritics), which the database's full-text index covers (lofte.kb.lexical)."""

    translation = models.OneToOneField(ArticleTranslation, on_delete=models.CASCADE, related_name="document")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=8)
    public = models.BooleanField()
    title_terms = models.TextField()
    body_terms = models.TextField()

    def __str__(self) -> str:
        return f"document of translation {self.translation_id}"


class KbChunk(models.Model):
    """A passage of a live translation and its embedding (384 float32, L2-normalised; None until the background
    task has computed it)."""

    translation = models.ForeignKey(ArticleTranslation, on_delete=models.CASCADE, related_name="chunks")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=8)
    public = models.BooleanField()
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    embedding = models.BinaryField(null=True)

    class Meta:
        indexes = [models.Index(fields=["translation"], name="kb_chunk_pending", condition=Q(embedding__isnull=True))]

    def __str__(self) -> str:
        return f"passage {self.position} of translation {self.translation_id}"


class KbIndexState(models.Model):
    """One row: `version` changes (to a random value) with every change to the index, so a process reloads what it
    holds."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"index version {self.version}"
