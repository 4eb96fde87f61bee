from . import navigation


def navigation_items(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_menus": {}}
    return {
        "nav_items": navigation.items_for(user, request.path),
        "nav_menus": navigation.Menus(user, request.path),
    }
