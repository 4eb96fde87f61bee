from django import forms
from django.test import SimpleTestCase

from liman.core.widgets import QuickSelect

CHOICES = [
    ("", "—"),
    ("Most frequent", [("SYR", "Syria"), ("AFG", "Afghanistan")]),
    ("All countries", [("CIV", "Côte d'Ivoire"), ("X&Y", 'Quote " and <tag>'), ("SYR", "Syria")]),
]


class QuickSelectTests(SimpleTestCase):
    def test_the_markup_is_djangos_for_every_value_and_attribute(self):
        for value in (None, "", "SYR", "X&Y", "nowhere"):
            for attrs in ({}, {"id": "id_country", "required": True, "disabled": False, "data-x": 'a"b'}):
                with self.subTest(value=value, attrs=attrs):
                    django_html = forms.Select(choices=CHOICES).render("country", value, attrs=dict(attrs))
                    quick_html = QuickSelect(choices=CHOICES).render("country", value, attrs=dict(attrs))
                    self.assertHTMLEqual(quick_html, django_html)

    def test_a_bound_form_keeps_the_chosen_value(self):
        class CountryForm(forms.Form):
            country = forms.ChoiceField(choices=CHOICES, widget=QuickSelect)

        html = str(CountryForm(data={"country": "AFG"})["country"])
        self.assertInHTML('<option value="AFG" selected>Afghanistan</option>', html)
        self.assertEqual(html.count("selected"), 1)
