# A manual check of the theme in a real browser (Chromium + chromedriver + selenium):
# render the sample (swift run folio build --project . --simulate), then run python3 Tests/Browser/check_theme.py.
# It opens the lightbox, steps with the arrow keys, closes with Escape, checks that focus returns,
# and presses a copy button; it prints what it saw and any console errors.
import os
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.chrome.service import Service
SITE = os.path.abspath(os.environ.get("SITE", "site"))
opts = webdriver.ChromeOptions()
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"]: opts.add_argument(a)
d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
d.get("file://" + SITE + "/index.html")
errors = d.get_log("browser")
print("console:", [e["message"] for e in errors])
cards = d.find_elements(By.CSS_SELECTOR, ".grid .card__link[data-large]")
print("cards", len(cards))
cards[1].click()
box = d.find_element(By.CSS_SELECTOR, ".lightbox")
img = box.find_element(By.TAG_NAME, "img")
print("open:", img.get_attribute("src").split("/")[-1], "|", box.find_element(By.CSS_SELECTOR, ".lightbox__title").text)
print("focused:", d.switch_to.active_element.get_attribute("aria-label"))
d.switch_to.active_element.send_keys(Keys.TAB)
print("tab stays in the dialog:", d.execute_script("return document.querySelector('.lightbox').contains(document.activeElement)"))
d.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
print("after right:", box.find_element(By.CSS_SELECTOR, ".lightbox__title").text)
d.save_screenshot(os.environ.get("SHOT", "/tmp/folio-lightbox.png"))
d.switch_to.active_element.send_keys(Keys.ESCAPE)
print("closed:", len(d.find_elements(By.CSS_SELECTOR, ".lightbox")) == 0)
print("focus back on card:", d.switch_to.active_element.get_attribute("href").split("site/")[-1])
d.get("file://" + SITE + "/p/posters/launch/index.html")
d.find_element(By.CSS_SELECTOR, "button.copy").click()
print("copy button:", d.find_element(By.CSS_SELECTOR, "button.copy").text)
print("console:", [e["message"] for e in d.get_log("browser")])
d.quit()
