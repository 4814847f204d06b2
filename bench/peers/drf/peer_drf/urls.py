from django.urls import path
from projects.views import ProjectList, UnauthProjectList

urlpatterns = [
    path("api/v2/projects", ProjectList.as_view()),
    path("unauth/projects", UnauthProjectList.as_view()),
]
