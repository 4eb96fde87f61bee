"""The form renderer: Django's form and widget templates rendered by Jinja2, others by Django's template language.

Django renders every field, label, error list and option of a form through its own templates; with the Django
template language that was 0.6 ms a field, and the seven small forms of a case page cost 18 ms of its 45 ms. Django
ships the same templates for Jinja2 (compiled to Python, several times faster), and Jinja2 is already installed for
the donor reports' templates (docxtpl). Templates that exist only for the Django template language (the admin's
widgets, a third-party widget) are rendered by it, as before."""

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.utils.functional import cached_property


class FormRenderer(Jinja2):
    @cached_property
    def fallback(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
