from . import navigation


def navigation_items(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_menus": {}, "nav_bar": [], "nav_search": None}
    items = navigation.items_for(user, request.path)
    return {
        "nav_items": items,
        "nav_menus": navigation.Menus(user, request.path),
        "nav_bar": navigation.bar_of(items),
        "nav_search": navigation.search_of(items),
    }
