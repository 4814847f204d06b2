from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Project
from .permissions import HasBearerAPIKey
from .serializers import ProjectSerializer


class ProjectList(APIView):
    """GET /api/v2/projects: the account's projects, for a valid API key."""

    permission_classes = [HasBearerAPIKey]

    def get(self, request):
        projects = Project.objects.all()
        return Response({"projects": ProjectSerializer(projects, many=True).data})


class UnauthProjectList(ProjectList):
    """GET /unauth/projects: the same handler with no permission check."""

    permission_classes = [AllowAny]
