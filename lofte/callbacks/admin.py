"""Admin: callback capacity per team (configured here); callbacks, slots and calls to look at."""

from __future__ import annotations

from django.contrib import admin

from lofte.callbacks.models import Call, Callback, CallbackAttempt, CallbackCapacity, CallbackSlot


@admin.register(CallbackCapacity)
class CallbackCapacityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["team", "per_slot", "slot_minutes", "calendar", "is_active"]
    list_select_related = ["team", "calendar"]


class AttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CallbackAttempt
    extra = 0
    readonly_fields = ["agent", "outcome", "note", "created_at"]
    can_delete = False


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["phone", "name", "team", "slot_start", "state", "attempts", "source"]
    list_filter = ["state", "source", "team"]
    list_select_related = ["team"]
    search_fields = ["phone", "name", "case__reference"]
    raw_id_fields = ["case", "promise", "created_by"]
    readonly_fields = ["slot_start", "slot_end", "attempts", "state", "next_attempt_at", "window_end", "done_at"]
    inlines = [AttemptInline]


@admin.register(CallbackSlot)
class CallbackSlotAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["team", "start", "booked"]
    list_filter = ["team"]
    readonly_fields = ["team", "start", "booked"]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["created_at", "direction", "number", "outcome", "duration_seconds", "agent", "case"]
    list_filter = ["direction", "outcome"]
    raw_id_fields = ["case", "agent"]
    search_fields = ["number", "case__reference"]
