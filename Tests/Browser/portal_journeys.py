"""Portal journeys in a real browser: Selenium driving Debian's Chromium, headless.

Run by BrowserJourneyTests against real nodes it starts; usable by hand too:
    python Tests/Browser/portal_journeys.py person --base URL --invitation URL --login LOGIN \
        --name NAME --title TITLE --screenshots DIR
Every step saves a screenshot (NN-step.png) in DIR and prints one JSON line; a failed
expectation prints what the page showed and exits 1.
"""
import argparse
import json
import os
import sys
import traceback
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait


def replaced(element):
    """A wait condition: `element`'s page has been replaced. Like Selenium's staleness_of, but
    Chromium sometimes reports a replaced page's node as "Node with given id does not belong to
    the document" instead of a stale element: any refusal to look at it means it is gone."""
    def check(_driver):
        try:
            element.is_enabled()
            return False
        except WebDriverException:
            return True
    return check


# What the portal says, in the language the browser asks for (`--lang`).
PHRASES = {
    "passwords differ": ("两次输入的密码不一致", "The two passwords differ"),
    "wrong password": ("登录名或密码错误", "The login or the password is wrong"),
    "browse members": ("浏览成员目录", "Browse members"),
    "browse a catalog": ("浏览成员目录", "Browse a member's catalog"),
    "request access": ("申请使用", "Request access"),
    "provider refused": ("提供方拒绝了申请", "The provider refused the request"),
    "agreement in force": ("合约已生效", "The agreement is in force"),
    "checksum verified": ("校验通过", "Checksum verified"),
    "my requests": ("我的申请与合约", "My requests and agreements"),
    "back to the catalog": ("返回目录", "Back to the catalog"),
    "publish a product": ("发布数据产品", "Publish a data product"),
    "quality report": ("质量报告", "Quality report"),
    "price": ("价格", "Price"),
    "published": ("已发布", "Published"),
    "at most 2 deliveries": ("最多交付 2 次", "at most 2 deliveries"),
    "evidence audit": ("存证审计", "Evidence audit"),
    "product published": ("产品发布", "Product published"),
    "verify a receipt": ("核验收据", "Verify a receipt"),
    "valid": ("有效", "Valid"),
    "invalid": ("无效", "Invalid"),
}


class Journey:
    def __init__(self, screenshots, lang="zh-CN"):
        self.english = lang.startswith("en")
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", f"--lang={lang}"):
            options.add_argument(flag)
        accept = "en-US,en;q=0.9" if self.english else "zh-CN,zh;q=0.9"
        options.add_experimental_option("prefs", {"intl.accept_languages": accept})
        options.binary_location = os.environ.get("DATASPACE_CHROMIUM", "/usr/bin/chromium")
        service = Service(os.environ.get("DATASPACE_CHROMEDRIVER", "/usr/bin/chromedriver"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.wait = WebDriverWait(self.driver, 20)
        self.screenshots = screenshots
        self.step = 0
        os.makedirs(screenshots, exist_ok=True)

    def t(self, key):
        """The portal's words for `key` in this journey's language."""
        zh, en = PHRASES[key]
        return en if self.english else zh

    def shot(self, name, **facts):
        self.step += 1
        path = os.path.join(self.screenshots, f"{self.step:02d}-{name}.png")
        self.driver.save_screenshot(path)
        print(json.dumps({"step": name, "url": self.driver.current_url, "screenshot": path, **facts}, ensure_ascii=False), flush=True)

    def expect(self, condition, message):
        if not condition:
            body = self.driver.find_element(By.TAG_NAME, "body").text[:2000]
            self.shot("failed")
            raise AssertionError(f"{message}\n--- page {self.driver.current_url} ---\n{body}")

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def loaded(self):
        """Waits until the document has loaded completely (after a redirect, the element found
        first may belong to the page being replaced)."""
        self.wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")

    def follow(self, link_text):
        """Clicks a link (by part of its text) and waits for the page it leads to."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.PARTIAL_LINK_TEXT, link_text).click()
        self.wait.until(replaced(old))
        self.loaded()

    def fill(self, field, value):
        for attempt in range(3):
            try:
                self.loaded()
                element = self.wait.until(EC.presence_of_element_located((By.ID, field)))
                element.clear()
                element.send_keys(value)
                return
            except WebDriverException:
                if attempt == 2:
                    raise

    def submit(self, css="form.stack button[type=submit]"):
        self.loaded()
        before = self.driver.current_url
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, css).click()
        self.wait.until(replaced(old))
        self.loaded()
        return before


def person(args):
    j = Journey(args.screenshots, args.lang)
    try:
        password = "Zhè shì yī gè hǎo mìmǎ 2026"
        d = j.driver
        d.get(args.invitation)
        j.expect(args.name in j.text(), "the invitation page names the person")
        j.shot("invitation")
        j.fill("password", password)
        j.fill("confirm", password + "x")
        j.submit()
        j.expect(j.t("passwords differ") in j.text(), "differing passwords are refused on the page")
        j.shot("invitation-passwords-differ")
        j.fill("password", password)
        j.fill("confirm", password)
        j.submit()
        j.expect(d.current_url.startswith(args.base + "/login"), "accepting leads to sign-in")
        j.shot("sign-in-form")

        j.fill("login", args.login)
        j.fill("password", "not the password")
        j.submit()
        j.expect(j.t("wrong password") in j.text(), "a wrong password is refused on the page")
        j.shot("sign-in-wrong-password")
        # Keyboard only: type, then Enter submits the form.
        j.fill("login", args.login)
        j.fill("password", password)
        old = d.find_element(By.TAG_NAME, "html")
        d.find_element(By.ID, "password").send_keys(Keys.ENTER)
        j.wait.until(replaced(old))
        j.loaded()
        j.expect(d.current_url == args.base + "/account", f"signing in leads to the account page, not {d.current_url}")
        j.expect(args.name in j.text() and "publisher" in j.text(), "the account page shows the name and roles")
        j.shot("account")

        d.get(args.base + "/")
        search = d.find_element(By.ID, "q")
        search.send_keys(args.query)
        old = d.find_element(By.TAG_NAME, "html")
        search.send_keys(Keys.ENTER)
        j.wait.until(replaced(old))
        j.loaded()
        j.expect(args.title in j.text(), "the search finds the product")
        j.expect("nil" not in d.page_source, "no 'nil' on the results page")
        j.shot("search-results", query=args.query)
        d.find_element(By.LINK_TEXT, args.title).click()
        j.wait.until(EC.title_contains(args.title))
        j.shot("product-page")

        d.get(args.base + "/account")
        j.submit(css="form[action='/logout'] button")
        j.expect(d.current_url == args.base + "/", "signing out leads home")
        j.shot("signed-out")
        d.get(args.base + "/account")
        j.expect(d.current_url.startswith(args.base + "/login"), "after signing out the account page asks to sign in")
        j.shot("account-needs-sign-in")
    finally:
        j.driver.quit()


def accept_and_sign_in(j, args, password):
    d = j.driver
    d.get(args.invitation)
    j.fill("password", password)
    j.fill("confirm", password)
    j.submit()
    j.fill("login", args.login)
    j.fill("password", password)
    j.submit()
    j.expect(d.current_url == args.base + "/account", f"signing in leads to the account page, not {d.current_url}")


def officer(args):
    """The authority's officer approves one applicant and rejects another with a reason."""
    j = Journey(args.screenshots, args.lang)
    try:
        d = j.driver
        accept_and_sign_in(j, args, "officer password 2026")
        j.shot("officer-account")
        d.get(args.base + "/authority/members")
        j.expect(args.approve in j.text() and args.reject in j.text(), "both applications are waiting")
        j.shot("applications-waiting")
        approve = d.find_element(By.XPATH, f"//article[h3[text()='{args.approve}']]//button[contains(@class,'approve')]")
        old = d.find_element(By.TAG_NAME, "html")
        approve.click()
        j.wait.until(replaced(old))
        j.loaded()
        j.expect(d.current_url == args.base + "/authority/members", "approving returns to the list")
        article = d.find_element(By.XPATH, f"//article[h3[text()='{args.reject}']]")
        old = d.find_element(By.TAG_NAME, "html")
        article.find_element(By.CSS_SELECTOR, "button.reject").click()
        j.wait.until(replaced(old))
        j.loaded()
        j.expect("Give the applicant a reason" in j.text(), "rejecting without a reason is refused on the page")
        j.shot("reject-needs-reason")
        article = d.find_element(By.XPATH, f"//article[h3[text()='{args.reject}']]")
        article.find_element(By.NAME, "reason").send_keys("营业执照已过期 licence expired")
        old = d.find_element(By.TAG_NAME, "html")
        article.find_element(By.CSS_SELECTOR, "button.reject").click()
        j.wait.until(replaced(old))
        j.loaded()
        text = j.text()
        j.expect("licence expired" in text and args.name in text, "the rejection shows its reason and the officer's name")
        j.expect(len(d.find_elements(By.CSS_SELECTOR, "article.application")) == 0, "no application is left waiting")
        j.shot("decided")
    finally:
        j.driver.quit()


def wait_for_text(j, words):
    """Waits (the request page refreshes itself) until the page shows `words`."""
    def shown(driver):
        try:
            return words in driver.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            return False
    j.wait.until(shown)


def settled(j):
    """Waits until the page has loaded completely (a self-refreshing page may be replacing itself)."""
    j.wait.until(lambda driver: driver.execute_script("return document.readyState") == "complete")


def request_access(j, title, purpose):
    """On a member's catalog page: chooses `purpose` for the product titled `title` and presses
    the request button."""
    d = j.driver
    settled(j)
    article = d.find_element(By.XPATH, f"//article[h2[text()='{title}']]")
    Select(article.find_element(By.TAG_NAME, "select")).select_by_value(purpose)
    old = d.find_element(By.TAG_NAME, "html")
    article.find_element(By.CSS_SELECTOR, "form.request-access button[type=submit]").click()
    j.wait.until(replaced(old))
    j.loaded()


def analyst(args):
    """Another organisation's analyst finds a product in a member's catalog, is refused for a
    purpose the offer does not allow, and gets an agreement for the right one."""
    j = Journey(args.screenshots, args.lang)
    try:
        d = j.driver
        accept_and_sign_in(j, args, "analyst password 2026")
        j.shot("analyst-account")
        j.follow(j.t("browse members"))
        j.fill("provider", args.provider)
        j.fill("q", args.query)
        j.submit("form.search button[type=submit]")
        j.expect(args.title in j.text(), "the member's catalog lists the product")
        j.expect(j.t("request access") in j.text(), "the product has a request button")
        j.shot("member-catalog")
        request_access(j, args.title, args.wrong_purpose)
        wait_for_text(j, "TERMINATED")
        settled(j)
        j.expect(j.t("provider refused") in j.text(), "a refusal is shown with the provider's reasons")
        j.shot("refused-wrong-purpose")
        catalog = d.find_element(By.PARTIAL_LINK_TEXT, j.t("back to the catalog")).get_attribute("href")
        d.get(catalog)
        wait_for_text(j, j.t("browse a catalog"))
        request_access(j, args.title, args.purpose)
        wait_for_text(j, "FINALIZED")
        settled(j)
        j.expect(j.t("agreement in force") in j.text(), "the agreement is shown")
        j.shot("agreement-in-force")
        old = d.find_element(By.TAG_NAME, "html")
        d.find_element(By.CSS_SELECTOR, "form.download button[type=submit]").click()
        j.wait.until(replaced(old))
        j.loaded()
        wait_for_text(j, j.t("checksum verified"))
        settled(j)
        j.expect(len(d.find_elements(By.ID, "save-file")) == 1, "the verified file can be saved")
        j.shot("downloaded-verified", sha256=d.find_element(By.CSS_SELECTOR, "#verified code").text)
        j.follow(j.t("my requests"))
        wait_for_text(j, "TERMINATED")
        text = j.text()
        j.expect("TERMINATED" in text and "FINALIZED" in text, "both requests are listed")
        j.shot("requests-and-agreements")
    finally:
        j.driver.quit()


def publisher(args):
    """A publisher uploads a file, reads its quality report and proposed grade, is told on the
    page what is wrong with a price, builds the offer from plain choices and publishes; the
    product page then shows the terms in words."""
    j = Journey(args.screenshots, args.lang)
    try:
        d = j.driver
        accept_and_sign_in(j, args, "publisher password 2026")
        j.shot("publisher-account")
        j.follow(j.t("publish a product"))
        path = os.path.join(args.screenshots, "air-quality.csv")
        with open(path, "w", encoding="utf-8") as out:
            out.write("station,aqi,pm25,measured\n")
            for i in range(500):
                out.write(f"GZ{i % 20:03d},{20 + i % 80},{5 + i % 60},2026-11-{1 + i % 28:02d}\n")
        d.find_element(By.ID, "file").send_keys(path)
        j.shot("file-chosen")
        d.find_element(By.ID, "upload-button").click()
        j.wait.until(lambda driver: "/publish/drafts/" in driver.current_url)
        j.loaded()
        wait_for_text(j, j.t("quality report"))
        score = d.find_element(By.ID, "draft-score").text
        grade = d.find_element(By.ID, "draft-grade").text
        j.expect(score.endswith("%"), f"the quality score is shown, not {score!r}")
        j.shot("quality-report", score=score, grade=grade.split("\n")[0])
        j.fill("title", args.title)
        j.fill("description", "逐小时空气质量 Hourly air quality at 20 stations")
        j.fill("keywords", "空气质量, AQI")
        Select(d.find_element(By.ID, "sector")).select_by_value("green-low-carbon")
        Select(d.find_element(By.ID, "region")).select_by_value("440100")
        for purpose in args.offer_purposes.split(","):
            d.find_element(By.CSS_SELECTOR, f"input[name='offer.purpose'][value='{purpose}']").click()
        j.fill("offer-max", "2")
        j.fill("offer-price", "9.999")
        j.submit("#publish-button")
        j.expect(d.find_element(By.ID, "form-error").get_attribute("data-field") == "offer.price" and j.t("price") in j.text(),
                 "a bad price is refused on the page, naming the field")
        j.expect(d.find_element(By.ID, "title").get_attribute("value") == args.title, "what was typed is kept")
        j.shot("price-refused")
        j.fill("offer-price", "")
        j.submit("#publish-button")
        wait_for_text(j, j.t("published"))
        j.expect(args.title in j.text(), "the publishing page lists the product")
        j.shot("published")
        j.follow(args.title)
        text = j.text()
        j.expect(j.t("at most 2 deliveries") in text and "public-service, research" in text, "the terms read as chosen")
        j.shot("product-terms")
    finally:
        j.driver.quit()


def auditor(args):
    """An auditor reads the evidence log with names instead of identifiers, filters it, saves a
    receipt, and verifies it by uploading it on the evidence page; an altered copy is refused."""
    j = Journey(args.screenshots, args.lang)
    try:
        d = j.driver
        accept_and_sign_in(j, args, "auditor password 2026")
        j.shot("auditor-account")
        j.follow(j.t("evidence audit"))
        j.expect(args.title in j.text(), "the log names the product by its title")
        j.shot("evidence-log")
        Select(d.find_element(By.ID, "type")).select_by_value("product.published")
        j.fill("party", args.title[:4])
        j.submit("form.filters button[type=submit]")
        j.expect(args.title in j.text() and j.t("product published") in j.text(), "the filter keeps the product's publication")
        j.shot("filtered", url=d.current_url)
        receipt_url = d.find_element(By.CSS_SELECTOR, "table a[href*='/ledger/receipt/']").get_attribute("href")
        receipt = urllib.request.urlopen(receipt_url, timeout=20).read().decode("utf-8")
        saved = os.path.join(args.screenshots, "receipt.txt")
        with open(saved, "w", encoding="utf-8") as out:
            out.write(receipt)
        altered = os.path.join(args.screenshots, "receipt-altered.txt")
        with open(altered, "w", encoding="utf-8") as out:
            out.write(receipt.replace("\nindex ", "\nindex 9", 1))
        j.follow(j.t("verify a receipt"))
        d.find_element(By.ID, "receipt-file").send_keys(saved)
        j.submit("#verify-button")
        d.execute_script("document.getElementById('check').scrollIntoView()")
        verdict = d.find_element(By.ID, "verdict").text
        j.expect(verdict.startswith(j.t("valid")), f"the saved receipt verifies, not: {verdict}")
        j.shot("receipt-verified", verdict=verdict.split("\n")[0])
        d.find_element(By.ID, "receipt").clear()
        d.find_element(By.ID, "receipt-file").send_keys(altered)
        j.submit("#verify-button")
        d.execute_script("document.getElementById('check').scrollIntoView()")
        verdict = d.find_element(By.ID, "verdict").text
        j.expect(verdict.startswith(j.t("invalid")), f"an altered receipt is refused, not: {verdict}")
        j.shot("altered-receipt-refused", verdict=verdict.split("\n")[0])
    finally:
        j.driver.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("journey", choices=["person", "officer", "analyst", "publisher", "auditor"])
    parser.add_argument("--base", required=True)
    parser.add_argument("--invitation", required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--title")
    parser.add_argument("--query")
    parser.add_argument("--approve", help="officer: the applicant to approve")
    parser.add_argument("--reject", help="officer: the applicant to reject")
    parser.add_argument("--provider", help="analyst: the member whose catalog is browsed")
    parser.add_argument("--purpose", help="analyst: the purpose the offer allows")
    parser.add_argument("--wrong-purpose", help="analyst: a purpose the offer refuses")
    parser.add_argument("--offer-purposes", default="research,public-service", help="publisher: the purposes the offer allows")
    parser.add_argument("--lang", default="zh-CN", help="the language the browser asks for: zh-CN or en-US")
    parser.add_argument("--screenshots", required=True)
    args = parser.parse_args()
    try:
        {"person": person, "officer": officer, "analyst": analyst, "publisher": publisher, "auditor": auditor}[args.journey](args)
    except AssertionError as failure:
        print(f"FAILED: {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except WebDriverException as error:
        # Where in the journey it happened: the line of this script, not the driver's stack.
        here = [f"{frame.name}:{frame.lineno}" for frame in traceback.extract_tb(error.__traceback__) if frame.filename == __file__]
        print(f"BROWSER: {error.msg} (at {' > '.join(here)})", file=sys.stderr, flush=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
