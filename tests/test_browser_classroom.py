"""The live classroom in real Chromium: a teacher and three students, each in their own browser
context (their own localStorage, as on four machines), against the session's launched app."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def open_classrooms(contexts, url):
    """One page per context, loading at once (as a class opens the link together)."""
    pages = [context.new_page() for context in contexts]
    for page in pages:
        page.goto(url, wait_until="commit")
    for page in pages:
        expect(page.locator("#decoded img:visible, #decoded-canvas:visible").first).to_be_visible(
            timeout=30_000)
        page.get_by_role("tab", name="Classroom").click()
    return pages


def test_a_teacher_and_three_students(browser, app_url):
    contexts = [browser.new_context() for _ in range(4)]
    try:
        teacher, *students = open_classrooms(contexts, app_url)
        teacher.locator("#cr-create").click()
        code = teacher.locator("#cr-code-shown")
        expect(code).to_have_text(re.compile(r"^[A-Z0-9]{6}$"), timeout=10_000)
        for page, name in zip(students, ["Ann", "<b>Bob</b>", "Cy"]):
            page.locator("#cr-join-code").fill(code.inner_text().lower())
            page.locator("#cr-join-name").fill(name)
            page.locator("#cr-join-button").click()
            expect(page.locator("#cr-seat-name")).to_have_text(f"{name} in room {code.inner_text()}")
        expect(teacher.locator("#cr-board-status")).to_contain_text("3 students", timeout=15_000)
        expect(teacher.locator("#cr-board-status")).to_contain_text("<b>Bob</b>")  # as text

        # the teacher sets a latent in Explore and pushes it: every student's Explore follows
        teacher.get_by_role("tab", name="Explore latent space").click()
        teacher.locator("#slider-0 input[type=range]").fill("2")
        teacher.locator("#slider-1 input[type=range]").fill("-1.5")
        teacher.get_by_role("tab", name="Classroom").click()
        teacher.locator("#cr-push").click()
        expect(teacher.locator("#cr-teacher-status")).to_contain_text("View pushed")
        for page in students:  # the view names the tab the teacher showed: Explore
            expect(page.get_by_role("tab", name="Explore latent space")).to_have_attribute(
                "aria-selected", "true")
            expect(page.locator("#cr-student-status")).to_contain_text("Following the teacher: vae-mnist-2d")
            expect(page.locator("#slider-0 input[type=range]")).to_have_value("2")
            expect(page.locator("#slider-1 input[type=range]")).to_have_value("-1.5")

        # a view with another model: the students' Explore picks it (through its model picker)
        teacher.get_by_role("tab", name="Explore latent space").click()
        teacher.locator("#explore-model input").click()
        teacher.get_by_role("option", name="vae-mnist-16d", exact=True).click()
        expect(teacher.locator("#explore-card")).to_contain_text("vae-mnist-16d", timeout=15_000)
        teacher.locator("#slider-2 input[type=range]").fill("1")
        teacher.get_by_role("tab", name="Classroom").click()
        teacher.locator("#cr-push").click()
        for page in students:
            expect(page.locator("#explore-model input")).to_have_value("vae-mnist-16d", timeout=15_000)
            expect(page.locator("#slider-2 input[type=range]")).to_have_value("1", timeout=15_000)

        # every student sends their latent: three points on the teacher's map of vae-mnist-16d
        teacher.locator("#cr-map-model input").click()
        teacher.get_by_role("option", name="vae-mnist-16d", exact=True).click()
        for page in students:
            page.get_by_role("tab", name="Classroom").click()
            page.locator("#cr-send-latent").click()
            expect(page.locator("#cr-sent")).to_have_text("Your latent sent.")
        expect(teacher.locator("#cr-board-status")).to_contain_text("3 latents and drawings",
                                                                    timeout=15_000)
        teacher.wait_for_function("""() => { const gd = document.querySelector('#cr-map .js-plotly-plot');
            const t = gd && gd.data && gd.data.find(t => t.name.startsWith('latents'));
            return t && t.x.length === 3 && t.customdata[0][0].startsWith('data:image/png'); }""",
                                  timeout=15_000)
        # hovering a student's point shows the digit their latent decodes to, and their name
        teacher.locator("#cr-map").scroll_into_view_if_needed()
        x, y = teacher.evaluate("""() => { const gd = document.querySelector('#cr-map .js-plotly-plot');
            const t = gd.data.find(t => t.name.startsWith('latents'));
            const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
            return [box.left + gd._fullLayout.xaxis.l2p(t.x[0]),
                    box.top + gd._fullLayout.yaxis.l2p(t.y[0])]; }""")
        teacher.mouse.move(x + 4, y + 4)
        teacher.mouse.move(x, y)
        expect(teacher.locator("#cr-hover img")).to_have_attribute("src", re.compile("^data:image/png"))
        # (the three sent the same latent: the points coincide; names show as typed, markup too)
        expect(teacher.locator("#cr-hover-name")).to_have_text(re.compile(r"^(Ann|<b>Bob</b>|Cy)$"))

        # a real-or-generated round: six images, the class votes, the teacher reveals
        teacher.locator("#cr-round").click()
        expect(teacher.locator("#cr-teacher-status")).to_contain_text("Round started", timeout=30_000)
        for i, page in enumerate(students):
            items = page.locator("#cr-round-items .cr-round-item")
            expect(items).to_have_count(6, timeout=10_000)
            items.nth(0).get_by_role("button", name="Real" if i < 2 else "Generated").click()
            expect(page.locator("#cr-sent")).to_have_text("Vote on image 1 sent.")
        expect(teacher.locator("#cr-round-results")).to_contain_text("3 votes", timeout=15_000)
        teacher.locator("#cr-reveal").click()
        for page in students:
            expect(page.locator("#cr-round-items")).to_contain_text("The class was right",
                                                                    timeout=10_000)

        # a student who leaves and comes back is in the room again, on the teacher's view
        page = students[0]
        page.reload()
        expect(page.locator("#explore-model input")).to_have_value("vae-mnist-16d", timeout=30_000)
        expect(page.locator("#slider-2 input[type=range]")).to_have_value("1", timeout=15_000)
        page.get_by_role("tab", name="Classroom").click()
        expect(page.locator("#cr-seat-name")).to_have_text(f"Ann in room {code.inner_text()}")
    finally:
        for context in contexts:
            context.close()
