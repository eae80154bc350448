from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "lofte.channels"
    label = "lofte_channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from lofte.cases import own_addresses
        from lofte.channels.email.addresses import own_address_names

        own_addresses.register(own_address_names)

        from lofte.channels.sms.config import sms_on
        from lofte.outbox.transports import channel_check_register

        channel_check_register("sms", sms_on)  # the SMS settings page turns SMS on and off, in every process
