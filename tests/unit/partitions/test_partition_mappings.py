"""Partition mappings in both directions, and the validation the asset graph relies on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aloft.partitions import (
    AllPartitionMapping,
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    HourlyPartitionsDefinition,
    IdentityPartitionMapping,
    LastPartitionMapping,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    MultiToSingleDimensionPartitionMapping,
    PartitionKeyError,
    PartitionMappingError,
    StaticPartitionMapping,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    TimeWindowPartitionsDefinition,
    UpstreamPartitionsResult,
    WeeklyPartitionsDefinition,
    infer_partition_mapping,
    validate_partition_mapping,
)

NOW = datetime(2026, 2, 1, 12)
DAILY = DailyPartitionsDefinition("2026-01-01")
HOURLY = HourlyPartitionsDefinition("2026-01-01-00:00")
REGIONS = StaticPartitionsDefinition(["eu", "us", "apac"])
YESTERDAY = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


# -- identity / all / last -----------------------------------------------------------


def test_identity() -> None:
    identity = IdentityPartitionMapping()
    assert identity.get_upstream_partitions("us", REGIONS, REGIONS) == ["us"]
    subset = StaticPartitionsDefinition(["eu"])
    assert identity.get_upstream_mapped_partitions_result("us", REGIONS, subset) == (
        UpstreamPartitionsResult((), ("us",))
    )
    assert identity.get_downstream_partitions("eu", subset, REGIONS) == ["eu"]
    assert identity.get_downstream_partitions("apac", REGIONS, subset) == []


def test_identity_needs_a_downstream_key() -> None:
    with pytest.raises(PartitionMappingError, match="downstream asset is\\s+not partitioned"):
        IdentityPartitionMapping().get_upstream_partitions(None, None, REGIONS)


def test_all_partitions() -> None:
    assert AllPartitionMapping().get_upstream_partitions("eu", REGIONS, DAILY, current_time=datetime(2026, 1, 4)) == [
        "2026-01-01",
        "2026-01-02",
        "2026-01-03",
    ]
    assert AllPartitionMapping().get_downstream_partitions("2026-01-02", DAILY, REGIONS) == ["eu", "us", "apac"]
    assert AllPartitionMapping().get_downstream_partitions("2026-01-02", DAILY, None) == []


def test_last_partition() -> None:
    last = LastPartitionMapping()
    assert last.get_upstream_partitions(None, None, DAILY, current_time=NOW) == ["2026-01-31"]
    assert last.get_upstream_partitions(None, None, DAILY, current_time=datetime(2025, 1, 1)) == []
    assert last.get_downstream_partitions("2026-01-31", DAILY, REGIONS, current_time=NOW) == ["eu", "us", "apac"]
    assert last.get_downstream_partitions("2026-01-30", DAILY, REGIONS, current_time=NOW) == []


# -- time windows --------------------------------------------------------------------


def test_same_cadence_maps_to_the_same_key() -> None:
    assert TimeWindowPartitionMapping().get_upstream_partitions("2026-01-10", DAILY, DAILY, current_time=NOW) == [
        "2026-01-10"
    ]


def test_previous_partition() -> None:
    assert YESTERDAY.get_upstream_partitions("2026-01-10", DAILY, DAILY, current_time=NOW) == ["2026-01-09"]
    assert YESTERDAY.get_upstream_partitions("2026-03-01", DAILY, DAILY, current_time=datetime(2026, 4, 1)) == [
        "2026-02-28"
    ]
    assert YESTERDAY.get_downstream_partitions("2026-01-09", DAILY, DAILY, current_time=NOW) == ["2026-01-10"]


def test_previous_partition_of_the_first_one_does_not_exist() -> None:
    result = YESTERDAY.get_upstream_mapped_partitions_result("2026-01-01", DAILY, DAILY, current_time=NOW)
    assert result == UpstreamPartitionsResult((), ("2025-12-31",))
    assert YESTERDAY.get_upstream_partitions("2026-01-01", DAILY, DAILY, current_time=NOW) == []


def test_previous_partition_downstream_of_the_last_one_does_not_exist_yet() -> None:
    # 2026-01-31 is the last daily partition at NOW; the one that reads it is not complete.
    assert YESTERDAY.get_downstream_partitions("2026-01-31", DAILY, DAILY, current_time=NOW) == []


def test_previous_hour() -> None:
    previous_hour = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    assert previous_hour.get_upstream_partitions(
        "2026-01-02-00:00", HOURLY, HOURLY, current_time=NOW
    ) == ["2026-01-01-23:00"]


def test_trailing_window() -> None:
    trailing_three_days = TimeWindowPartitionMapping(start_offset=-2)
    assert trailing_three_days.get_upstream_partitions("2026-01-10", DAILY, DAILY, current_time=NOW) == [
        "2026-01-08",
        "2026-01-09",
        "2026-01-10",
    ]
    assert trailing_three_days.get_downstream_partitions("2026-01-08", DAILY, DAILY, current_time=NOW) == [
        "2026-01-08",
        "2026-01-09",
        "2026-01-10",
    ]
    result = trailing_three_days.get_upstream_mapped_partitions_result("2026-01-02", DAILY, DAILY, current_time=NOW)
    assert result == UpstreamPartitionsResult(("2026-01-01", "2026-01-02"), ("2025-12-31",))


def test_next_partition_that_is_not_complete_is_dropped() -> None:
    tomorrow = TimeWindowPartitionMapping(start_offset=1, end_offset=1)
    assert tomorrow.get_upstream_mapped_partitions_result("2026-01-31", DAILY, DAILY, current_time=NOW) == (
        UpstreamPartitionsResult((), ("2026-02-01",))
    )


def test_daily_reads_24_hours_and_an_hour_reads_its_day() -> None:
    hours = TimeWindowPartitionMapping().get_upstream_partitions("2026-01-05", DAILY, HOURLY, current_time=NOW)
    assert len(hours) == 24
    assert (hours[0], hours[-1]) == ("2026-01-05-00:00", "2026-01-05-23:00")
    assert TimeWindowPartitionMapping().get_upstream_partitions(
        "2026-01-05-13:00", HOURLY, DAILY, current_time=NOW
    ) == ["2026-01-05"]
    assert TimeWindowPartitionMapping().get_downstream_partitions(
        "2026-01-05-13:00", HOURLY, DAILY, current_time=NOW
    ) == ["2026-01-05"]


def test_offsets_are_in_downstream_partitions() -> None:
    previous_day_of_hours = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
    hours = previous_day_of_hours.get_upstream_partitions("2026-01-05", DAILY, HOURLY, current_time=NOW)
    assert (hours[0], hours[-1], len(hours)) == ("2026-01-04-00:00", "2026-01-04-23:00", 24)


def test_days_read_the_week_that_contains_them() -> None:
    weekly = WeeklyPartitionsDefinition("2026-01-04")
    mapping = TimeWindowPartitionMapping()
    assert mapping.get_upstream_partitions("2026-01-14", DAILY, weekly, current_time=NOW) == ["2026-01-11"]
    assert mapping.get_downstream_partitions("2026-01-11", weekly, DAILY, current_time=NOW) == [
        "2026-01-11",
        "2026-01-12",
        "2026-01-13",
        "2026-01-14",
        "2026-01-15",
        "2026-01-16",
        "2026-01-17",
    ]


def test_a_month_reads_its_days_in_order() -> None:
    monthly = MonthlyPartitionsDefinition("2026-01-01")
    days = TimeWindowPartitionMapping().get_upstream_partitions(
        "2026-02-01", monthly, DAILY, current_time=datetime(2026, 3, 5)
    )
    assert len(days) == 28 and days[0] == "2026-02-01" and days[-1] == "2026-02-28"


def test_upstream_that_starts_later_reports_the_missing_days() -> None:
    late = DailyPartitionsDefinition("2026-01-10")
    mapping = TimeWindowPartitionMapping(start_offset=-2)
    assert mapping.get_upstream_mapped_partitions_result("2026-01-11", DAILY, late, current_time=NOW) == (
        UpstreamPartitionsResult(("2026-01-10", "2026-01-11"), ("2026-01-09",))
    )


def test_dst_day_reads_23_or_25_hours() -> None:
    for timezone, short_day, long_day in (
        ("Europe/Berlin", "2026-03-29", "2026-10-25"),
        ("America/New_York", "2026-03-08", "2026-11-01"),
    ):
        daily = DailyPartitionsDefinition("2026-01-01", timezone=timezone)
        hourly = HourlyPartitionsDefinition("2026-01-01-00:00", timezone=timezone)
        later = datetime(2027, 1, 1, tzinfo=UTC)
        short = TimeWindowPartitionMapping().get_upstream_partitions(short_day, daily, hourly, current_time=later)
        long = TimeWindowPartitionMapping().get_upstream_partitions(long_day, daily, hourly, current_time=later)
        assert (len(short), len(long)) == (23, 25), timezone
        assert len(set(long)) == 25
        assert all(key.startswith(long_day) for key in long)


def test_previous_day_across_dst() -> None:
    berlin = DailyPartitionsDefinition("2026-01-01", timezone="Europe/Berlin")
    later = datetime(2027, 1, 1)
    assert YESTERDAY.get_upstream_partitions("2026-03-30", berlin, berlin, current_time=later) == ["2026-03-29"]
    assert YESTERDAY.get_upstream_partitions("2026-10-26", berlin, berlin, current_time=later) == ["2026-10-25"]


def test_previous_partition_of_a_weekday_schedule() -> None:
    weekdays = TimeWindowPartitionsDefinition(cron_schedule="0 0 * * 1-5", start="2026-01-01", fmt="%Y-%m-%d")
    # 2026-01-05 is a Monday: the previous partition is Friday's.
    assert YESTERDAY.get_upstream_partitions("2026-01-05", weekdays, weekdays, current_time=NOW) == ["2026-01-02"]
    assert YESTERDAY.get_upstream_mapped_partitions_result("2026-01-01", weekdays, weekdays, current_time=NOW) == (
        UpstreamPartitionsResult((), ("2025-12-31",))
    )
    assert YESTERDAY.get_downstream_partitions("2026-01-02", weekdays, weekdays, current_time=NOW) == ["2026-01-05"]


def test_invalid_downstream_key_is_an_error() -> None:
    with pytest.raises(PartitionKeyError, match="2026-01-05-13:00 is not a partition key of DailyPartitionsDefinition"):
        TimeWindowPartitionMapping().get_upstream_partitions("2026-01-05-13:00", DAILY, HOURLY, current_time=NOW)


def test_time_window_mapping_refuses_other_definitions() -> None:
    with pytest.raises(PartitionMappingError, match="needs time-window partitions on both sides"):
        TimeWindowPartitionMapping().get_upstream_partitions("eu", REGIONS, DAILY)


def test_offsets_must_be_ordered_integers() -> None:
    with pytest.raises(PartitionMappingError, match="start_offset \\(0\\) is after end_offset \\(-1\\)"):
        TimeWindowPartitionMapping(end_offset=-1)
    with pytest.raises(PartitionMappingError, match="start_offset must be an integer"):
        TimeWindowPartitionMapping(start_offset=0.5)  # type: ignore[arg-type]


def test_union_for_several_downstream_keys() -> None:
    assert YESTERDAY.get_upstream_partitions_for_keys(
        ["2026-01-12", "2026-01-10", "2026-01-11"], DAILY, DAILY, current_time=NOW
    ) == ["2026-01-09", "2026-01-10", "2026-01-11"]


# -- static ------------------------------------------------------------------------


COUNTRIES = StaticPartitionsDefinition(["fr", "de", "us", "ca"])
CONTINENTS = StaticPartitionsDefinition(["europe", "america"])
BY_CONTINENT = StaticPartitionMapping({"fr": "europe", "de": "europe", "us": "america", "ca": {"america"}})


def test_static_mapping_goes_from_upstream_keys_to_downstream_keys() -> None:
    assert BY_CONTINENT.get_upstream_partitions("europe", CONTINENTS, COUNTRIES) == ["fr", "de"]
    assert BY_CONTINENT.get_upstream_partitions("america", CONTINENTS, COUNTRIES) == ["us", "ca"]
    assert BY_CONTINENT.get_downstream_partitions("de", COUNTRIES, CONTINENTS) == ["europe"]


def test_static_mapping_to_several_downstream_keys() -> None:
    fan_out = StaticPartitionMapping({"all": ["b", "a"], "a_only": "a"})
    upstream = StaticPartitionsDefinition(["all", "a_only"])
    downstream = StaticPartitionsDefinition(["a", "b"])
    assert fan_out.get_downstream_partitions("all", upstream, downstream) == ["a", "b"]
    assert fan_out.get_upstream_partitions("a", downstream, upstream) == ["all", "a_only"]
    assert fan_out.get_upstream_partitions("b", downstream, upstream) == ["all"]
    assert fan_out == StaticPartitionMapping({"a_only": ["a"], "all": {"a", "b"}})
    assert hash(fan_out) == hash(StaticPartitionMapping({"a_only": ["a"], "all": {"a", "b"}}))


def test_static_mapping_with_unknown_keys_is_rejected() -> None:
    wrong_way = StaticPartitionMapping({"europe": "fr"})
    with pytest.raises(PartitionMappingError) as caught:
        validate_partition_mapping("by_continent", "by_country", wrong_way, CONTINENTS, COUNTRIES)
    assert "its upstream key 'europe' is not a partition of the upstream asset (the mapping goes from upstream keys to downstream keys)" in str(caught.value)
    typo = StaticPartitionMapping({"fr": "eruope"})
    with pytest.raises(PartitionMappingError, match="maps to 'eruope'.*Did you mean 'europe'"):
        validate_partition_mapping("by_continent", "by_country", typo, CONTINENTS, COUNTRIES)


# -- multi to single ---------------------------------------------------------------


GRID = MultiPartitionsDefinition({"date": DAILY, "region": REGIONS})


def test_multi_downstream_reads_its_dimension_of_a_single_upstream() -> None:
    mapping = MultiToSingleDimensionPartitionMapping("date")
    assert mapping.get_upstream_partitions("2026-01-05|us", GRID, DAILY, current_time=NOW) == ["2026-01-05"]
    assert mapping.get_upstream_partitions(
        MultiPartitionKey({"date": "2026-01-05", "region": "us"}), GRID, DAILY, current_time=NOW
    ) == ["2026-01-05"]
    assert mapping.get_downstream_partitions("2026-01-05", DAILY, GRID, current_time=NOW) == [
        "2026-01-05|eu",
        "2026-01-05|us",
        "2026-01-05|apac",
    ]


def test_single_downstream_reads_every_matching_multi_partition() -> None:
    mapping = MultiToSingleDimensionPartitionMapping()
    assert mapping.get_upstream_partitions("us", REGIONS, GRID, current_time=datetime(2026, 1, 3)) == [
        "2026-01-01|us",
        "2026-01-02|us",
    ]
    assert mapping.get_downstream_partitions("2026-01-02|us", GRID, REGIONS, current_time=NOW) == ["us"]


def test_multi_to_single_with_a_missing_upstream_value() -> None:
    mapping = MultiToSingleDimensionPartitionMapping("date")
    result = mapping.get_upstream_mapped_partitions_result("2026-01-31|us", GRID, DAILY, current_time=datetime(2026, 1, 5))
    assert result == UpstreamPartitionsResult((), ("2026-01-31",))


# -- inference and validation ------------------------------------------------------


def test_default_mappings_follow_dagster() -> None:
    assert infer_partition_mapping(None, DAILY, HOURLY) == TimeWindowPartitionMapping()
    assert infer_partition_mapping(None, REGIONS, REGIONS) == IdentityPartitionMapping()
    assert infer_partition_mapping(None, None, DAILY) == AllPartitionMapping()
    assert infer_partition_mapping(None, GRID, DAILY) == MultiToSingleDimensionPartitionMapping()
    assert infer_partition_mapping(YESTERDAY, DAILY, DAILY) is YESTERDAY


def test_validate_returns_the_effective_mapping() -> None:
    assert validate_partition_mapping("b", "a", None, DAILY, DAILY) == TimeWindowPartitionMapping()
    assert validate_partition_mapping("b", "a", YESTERDAY, DAILY, DAILY) is YESTERDAY
    assert validate_partition_mapping("b", "a", None, None, REGIONS) == AllPartitionMapping()
    assert validate_partition_mapping("b", "a", LastPartitionMapping(), None, DAILY) == LastPartitionMapping()
    assert validate_partition_mapping("b", "a", None, GRID, REGIONS) == MultiToSingleDimensionPartitionMapping()
    assert validate_partition_mapping("b", "a", BY_CONTINENT, CONTINENTS, COUNTRIES) is BY_CONTINENT


def test_unpartitioned_upstream_needs_no_mapping() -> None:
    assert validate_partition_mapping("b", "a", None, DAILY, None) is None
    assert validate_partition_mapping("b", "a", IdentityPartitionMapping(), DAILY, None) is None


def test_identity_between_daily_and_static_names_both_and_suggests_a_mapping() -> None:
    with pytest.raises(PartitionMappingError) as caught:
        validate_partition_mapping("daily_report", "regions", IdentityPartitionMapping(), DAILY, REGIONS)
    assert str(caught.value) == (
        "asset 'daily_report' depends on 'regions' through IdentityPartitionMapping(), but a time"
        " partition key never equals a static one: downstream"
        " DailyPartitionsDefinition(start_date='2026-01-01'), upstream"
        " StaticPartitionsDefinition(['eu', 'us', 'apac']). Use AllPartitionMapping() to read"
        " every upstream partition, or LastPartitionMapping() to read the latest one."
    )


def test_default_mapping_between_static_and_daily_is_rejected() -> None:
    with pytest.raises(PartitionMappingError, match="through the default IdentityPartitionMapping\\(\\)"):
        validate_partition_mapping("by_region", "events", None, REGIONS, DAILY)


def test_identity_between_cadences_suggests_time_window_mapping() -> None:
    with pytest.raises(PartitionMappingError, match="their time windows differ.*Use TimeWindowPartitionMapping\\(\\)"):
        validate_partition_mapping("daily", "hourly", IdentityPartitionMapping(), DAILY, HOURLY)


def test_identity_between_disjoint_static_sets_suggests_a_static_mapping() -> None:
    with pytest.raises(PartitionMappingError, match="no key in common|none in common.*StaticPartitionMapping"):
        validate_partition_mapping("b", "a", None, CONTINENTS, COUNTRIES)


def test_identity_with_an_unpartitioned_downstream_is_rejected() -> None:
    with pytest.raises(PartitionMappingError, match="the downstream asset is not partitioned.*AllPartitionMapping"):
        validate_partition_mapping("summary", "events", IdentityPartitionMapping(), None, DAILY)


def test_identity_between_static_and_dynamic_is_allowed() -> None:
    dynamic = DynamicPartitionsDefinition("customers")
    assert validate_partition_mapping("b", "a", None, REGIONS, dynamic) == IdentityPartitionMapping()


def test_time_window_mapping_between_static_definitions_is_rejected() -> None:
    with pytest.raises(PartitionMappingError) as caught:
        validate_partition_mapping("by_continent", "by_country", YESTERDAY, CONTINENTS, COUNTRIES)
    message = str(caught.value)
    assert "asset 'by_continent' depends on 'by_country' through TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)" in message
    assert "needs time-window partitions on both sides" in message
    assert message.endswith("Use StaticPartitionMapping({upstream_key: downstream_key, ...}) to pair keys explicitly, or AllPartitionMapping().")


def test_time_window_mapping_between_timezones_is_rejected() -> None:
    berlin = DailyPartitionsDefinition("2026-01-01", timezone="Europe/Berlin")
    with pytest.raises(PartitionMappingError, match="timezones differ \\(Europe/Berlin downstream, UTC upstream\\)"):
        validate_partition_mapping("b", "a", None, berlin, DAILY)


def test_multi_to_single_without_a_matching_dimension() -> None:
    other_days = DailyPartitionsDefinition("2025-01-01")
    with pytest.raises(PartitionMappingError, match="no dimension of the multi-partitions equals"):
        validate_partition_mapping("b", "a", MultiToSingleDimensionPartitionMapping(), GRID, other_days)
    with pytest.raises(PartitionMappingError, match="no dimension 'dates'.*Did you mean 'date'"):
        validate_partition_mapping("b", "a", MultiToSingleDimensionPartitionMapping("dates"), GRID, DAILY)
    with pytest.raises(PartitionMappingError, match="dimension 'region' is StaticPartitionsDefinition"):
        validate_partition_mapping("b", "a", MultiToSingleDimensionPartitionMapping("region"), GRID, DAILY)


def test_identity_between_multi_and_single_suggests_multi_to_single() -> None:
    with pytest.raises(PartitionMappingError, match="Use MultiToSingleDimensionPartitionMapping"):
        validate_partition_mapping("b", "a", IdentityPartitionMapping(), GRID, DAILY)


def test_something_that_is_not_a_mapping_is_rejected() -> None:
    with pytest.raises(PartitionMappingError, match="partition_mapping='previous', which is not a PartitionMapping"):
        validate_partition_mapping("b", "a", "previous", DAILY, DAILY)  # type: ignore[arg-type]


def test_mappings_are_values() -> None:
    assert TimeWindowPartitionMapping(-1, -1) == YESTERDAY
    assert hash(TimeWindowPartitionMapping(-1, -1)) == hash(YESTERDAY)
    assert repr(TimeWindowPartitionMapping()) == "TimeWindowPartitionMapping()"
    assert repr(BY_CONTINENT) == "StaticPartitionMapping({'fr': 'europe', 'de': 'europe', 'us': 'america', 'ca': 'america'})"
    assert repr(MultiToSingleDimensionPartitionMapping("date")) == (
        "MultiToSingleDimensionPartitionMapping(partition_dimension_name='date')"
    )
