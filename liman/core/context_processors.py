from . import navigation


def navigation_items(request):
    """The menus of the user, worked out once per request: a page that renders its sections with the request (the
    person page's dozen) runs the context processors for each of them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_menus": {}, "nav_bar": [], "nav_search": None}
    cached = getattr(request, "_liman_navigation", None)
    if cached is not None and cached[0] is user:
        return cached[1]
    items = navigation.items_for(user, request.path)
    context = {
        "nav_items": items,
        "nav_menus": navigation.Menus(user, request.path),
        "nav_bar": navigation.bar_of(items),
        "nav_search": navigation.search_of(items),
    }
    request._liman_navigation = (user, context)
    return context
