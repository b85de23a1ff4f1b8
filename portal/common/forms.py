"""The base form and the form fields the domains' forms share."""
import unicodedata
from functools import cache

from babel.support import Translations
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, TextAreaField
from wtforms.i18n import messages_path
from wtforms.validators import StopValidation

# WTForms ships its own messages as zh (Simplified) and zh_TW; gettext's fallback from the portal's
# zh_Hant_TW would land on zh, showing Simplified text to Traditional readers.
WTFORMS_LOCALES = {"zh_Hans_CN": "zh", "zh_Hant_TW": "zh_TW"}


@cache
def _wtforms_messages(locale: str) -> Translations:
    return Translations.load(messages_path(), [WTFORMS_LOCALES.get(locale, locale)], domain="wtforms")


class PortalForm(FlaskForm):
    """Every form's base: CSRF from Flask-WTF, WTForms' own messages in the visitor's language."""

    class Meta:
        def get_translations(self, form):
            return _wtforms_messages(str(get_locale()))


class _TypedNumber:
    """A number field that reads what people type on a phone, and reports one clear error.

    Full-width digits and thousands separators (１,０００ or 1，000) are accepted; when the text is
    not a number, that is the only message shown, not also a range message about a missing value.
    A field left empty has no value, so the field's own message for a missing value is the one shown.
    """

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [unicodedata.normalize("NFKC", valuelist[0]).replace(",", "").replace(" ", "")]
            if not valuelist[0]:  # empty or only spaces: missing, as InputRequired reads raw_data
                self.raw_data, self.data = valuelist, None
                return
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class NumberField(_TypedNumber, IntegerField):
    pass


class AmountField(_TypedNumber, DecimalField):
    pass


class LinesField(TextAreaField):
    """A text area whose line breaks count as one character each, as the browser's maxlength counts
    them: browsers send each as CR LF, so a reason typed up to the limit would be refused as too long."""

    def process_formdata(self, valuelist):
        super().process_formdata([value.replace("\r\n", "\n") for value in valuelist])
