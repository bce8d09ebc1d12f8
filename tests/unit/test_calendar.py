"""The PRC working-day calendar (DESIGN §5; deadlines catalogue)."""

from datetime import date

from liuhen.platform.calendar import WorkingCalendar

CAL = WorkingCalendar.load()


def test_weekends_are_off_and_weekdays_are_on():
    assert CAL.is_working_day(date(2026, 11, 27))  # a Friday
    assert not CAL.is_working_day(date(2026, 11, 28))  # a Saturday


def test_public_holidays_are_off_and_make_up_days_are_on():
    assert not CAL.is_working_day(date(2026, 10, 5))  # National Day, a Monday
    assert CAL.is_working_day(date(2026, 10, 10))  # a Saturday declared a working day
    assert CAL.is_working_day(date(2026, 2, 14))  # Spring Festival make-up Saturday


def test_art11_five_working_days_skip_the_weekend():
    due = CAL.add_working_days(date(2026, 11, 27), 5)
    assert due.on == date(2026, 12, 4) and not due.provisional


def test_art11_five_working_days_skip_the_national_day_holiday_and_count_make_up_days():
    # Received Wed 30 Sep 2026: 1-7 Oct off; 8, 9, Sat 10 (make-up), 12, 13 Oct count.
    due = CAL.add_working_days(date(2026, 9, 30), 5)
    assert due.on == date(2026, 10, 13)


def test_art28_calendar_period_ending_on_a_holiday_moves_to_the_next_working_day():
    due = CAL.add_calendar_days(date(2026, 9, 21), 10)
    assert due.on == date(2026, 10, 8)


def test_a_due_date_in_an_unloaded_year_is_provisional():
    due = CAL.add_working_days(date(2026, 12, 1), 60)
    assert due.on.year == 2027 and due.provisional


def test_a_due_date_inside_loaded_years_is_not_provisional():
    assert not CAL.add_calendar_days(date(2026, 3, 2), 10).provisional


def test_working_days_between_counts_only_working_days():
    assert CAL.working_days_between(date(2026, 11, 27), date(2026, 12, 4)) == 5
