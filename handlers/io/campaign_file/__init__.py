"""The campaign file: a YAML description of a plan (kế hoạch) and what each unit must send.

An office copies ``bot/demo/bimson-2019.yaml``, edits it and loads it with
:func:`handlers.services.campaigns.load_campaign` (``tdkt campaign load``). The package reads and
checks the file without the database:

* :mod:`~handlers.io.campaign_file.schema`: the pydantic models (the format is documented there),
  ``settings`` included through the domain's sections;
* :mod:`~handlers.io.campaign_file.parse`: YAML, bytes or path in, :class:`CampaignFile` out;
* :mod:`~handlers.io.campaign_file.errors`: problems with their field and line;
* :mod:`~handlers.io.campaign_file.messages`: the Vietnamese wording of every error.
"""

from handlers.io.campaign_file.errors import CampaignFileError
from handlers.io.campaign_file.parse import CampaignSource, parse_campaign
from handlers.io.campaign_file.schema import (
    DEFAULT_AWARD_FORMS,
    DEFAULT_TIMEZONE,
    AwardFormSpec,
    CampaignFile,
    DueDate,
    RequirementSpec,
)

__all__ = [
    "DEFAULT_AWARD_FORMS",
    "DEFAULT_TIMEZONE",
    "AwardFormSpec",
    "CampaignFile",
    "CampaignFileError",
    "CampaignSource",
    "DueDate",
    "RequirementSpec",
    "parse_campaign",
]
