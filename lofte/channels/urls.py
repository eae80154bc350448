from django.urls import path

from lofte.channels import views

app_name = "channels"
urlpatterns = [path("sms/segments", views.sms_segments, name="sms_segments")]
