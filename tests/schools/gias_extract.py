"""A Get Information About Schools extract in the layout the DfE publishes (`edubasealldata<date>.csv`).

Every column of the download, in its order, so that the import is tested against the file as it comes; a row
gives only the columns a test cares about, the rest are left empty as many are in the real file.
"""

from __future__ import annotations

import csv
from pathlib import Path

_SEN = [f"SEN{n} (name)" for n in range(1, 14)]
COLUMNS = [
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
    "TypeOfEstablishment (code)", "TypeOfEstablishment (name)", "EstablishmentTypeGroup (code)",
    "EstablishmentTypeGroup (name)", "EstablishmentStatus (code)", "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)", "ReasonEstablishmentOpened (name)", "OpenDate",
    "ReasonEstablishmentClosed (code)", "ReasonEstablishmentClosed (name)", "CloseDate",
    "PhaseOfEducation (code)", "PhaseOfEducation (name)", "StatutoryLowAge", "StatutoryHighAge",
    "Boarders (code)", "Boarders (name)", "NurseryProvision (name)", "OfficialSixthForm (code)",
    "OfficialSixthForm (name)", "Gender (code)", "Gender (name)", "ReligiousCharacter (code)",
    "ReligiousCharacter (name)", "ReligiousEthos (name)", "Diocese (code)", "Diocese (name)",
    "AdmissionsPolicy (code)", "AdmissionsPolicy (name)", "SchoolCapacity", "SpecialClasses (code)",
    "SpecialClasses (name)", "CensusDate", "NumberOfPupils", "NumberOfBoys", "NumberOfGirls", "PercentageFSM",
    "TrustSchoolFlag (code)", "TrustSchoolFlag (name)", "Trusts (code)", "Trusts (name)",
    "SchoolSponsorFlag (name)", "SchoolSponsors (name)", "FederationFlag (name)", "Federations (code)",
    "Federations (name)", "UKPRN", "FEHEIdentifier", "FurtherEducationType (name)", "OfstedLastInsp",
    "OfstedSpecialMeasures (code)", "OfstedSpecialMeasures (name)", "LastChangedDate", "Street", "Locality",
    "Address3", "Town", "County (name)", "Postcode", "SchoolWebsite", "TelephoneNum", "HeadTitle (name)",
    "HeadFirstName", "HeadLastName", "HeadPreferredJobTitle", "BSOInspectorateName (name)",
    "InspectorateReport", "DateOfLastInspectionVisit", "NextInspectionVisit", "TeenMoth (name)",
    "TeenMothPlaces", "CCF (name)", "SENPRU (name)", "EBD (name)", "PlacesPRU", "FTProv (name)",
    "EdByOther (name)", "Section41Approved (name)", *_SEN, "TypeOfResourcedProvision (name)",
    "ResourcedProvisionOnRoll", "ResourcedProvisionCapacity", "SenUnitOnRoll", "SenUnitCapacity", "GOR (code)",
    "GOR (name)", "DistrictAdministrative (code)", "DistrictAdministrative (name)", "AdministrativeWard (code)",
    "AdministrativeWard (name)", "ParliamentaryConstituency (code)", "ParliamentaryConstituency (name)",
    "UrbanRural (code)", "UrbanRural (name)", "GSSLACode (name)", "Easting", "Northing", "MSOA (name)",
    "LSOA (name)", "InspectorateName (name)", "SENStat", "SENNoStat", "BoardingEstablishment (name)",
    "PropsName", "PreviousLA (code)", "PreviousLA (name)", "PreviousEstablishmentNumber", "OfstedRating (name)",
    "RSCRegion (name)", "Country (name)", "UPRN", "SiteName", "QABName (code)", "QABName (name)",
    "EstablishmentAccredited (code)", "EstablishmentAccredited (name)", "QABReport", "CHNumber", "MSOA (code)",
    "LSOA (code)", "FSM",
]  # fmt: skip
_STATUS_CODES = {"Open": "1", "Closed": "2", "Open, but proposed to close": "3", "Proposed to open": "4"}
_PHASE_CODES = {"Primary": "2", "Secondary": "4", "All-through": "7", "Not applicable": "0", "Nursery": "1"}


def establishment(urn: str, name: str, *, status: str = "Open", phase: str = "Primary", **columns: str) -> dict:
    """One row; `columns` by their GIAS names (`PercentageFSM`, `TelephoneNum`, `LA (name)`, ...)."""
    row = {
        "URN": urn,
        "LA (code)": "330",
        "LA (name)": "Birmingham",
        "EstablishmentName": name,
        "TypeOfEstablishment (name)": "Community school",
        "EstablishmentStatus (code)": _STATUS_CODES.get(status, ""),
        "EstablishmentStatus (name)": status,
        "PhaseOfEducation (code)": _PHASE_CODES.get(phase, ""),
        "PhaseOfEducation (name)": phase,
        "Country (name)": "United Kingdom",
        **columns,
    }
    unknown = set(row) - set(COLUMNS)
    assert not unknown, f"not GIAS columns: {unknown}"
    return row


def write_extract(path: Path, rows: list[dict], *, encoding: str = "cp1252") -> Path:
    """The extract as downloaded: Windows-1252, CRLF line ends."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path
