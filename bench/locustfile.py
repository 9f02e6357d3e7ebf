"""Locust users of `python -m bench load` (it runs `locust -f bench/locustfile.py --headless <User>`): one
workload per user class, no think time. Every request's start, own time (ms) and status go to $BENCH_SAMPLES as
JSON when locust quits, so percentiles are exact rather than locust's rounded ones."""
from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, constant, events, task

APP = os.environ.get("BENCH_APP", "scrm")
HEADERS = {"Authorization": "Bearer " + os.environ.get("BENCH_TOKEN", ""), "Accept-Language": "en"}
CUSTOMERS = f"/api/apps/{APP}/forms/customer/records"
ORDERS = f"/api/apps/{APP}/forms/order/records"
ARTICLES = f"/api/apps/{APP}/forms/article/records"
IDS = json.loads(os.environ.get("BENCH_IDS", "[]"))  # existing customer ids to read
LIST_QUERY = os.environ.get("BENCH_LIST_QUERY", "")
PHONES = itertools.count(random.randrange(10**8))  # unique phone numbers (the field is unique)
samples: list[tuple[float, float, int]] = []


@events.request.add_listener
def keep(start_time, response_time, response, exception, **_):
    samples.append((start_time, response_time, getattr(response, "status_code", 0) or 0))


@events.quitting.add_listener
def dump(**_):
    with open(os.environ["BENCH_SAMPLES"], "w") as out:
        json.dump(samples, out)


class Benchmark(FastHttpUser):
    abstract = True
    wait_time = constant(0)


class CreateCustomer(Benchmark):
    @task
    def create(self):
        n = next(PHONES)
        self.client.post(CUSTOMERS, json={"name": f"压测客户{n}", "phone": f"199{n:08d}", "source": "小程序"},
                         headers=HEADERS, name="create")


class CreateArticle(Benchmark):
    """A form no flow, rule or rollup listens to: the platform's own create path."""
    @task
    def create(self):
        self.client.post(ARTICLES, json={"title": f"压测文章{next(PHONES)}", "category": "话术",
                                         "content": "<p>团购开团话术：今日爆品限量，先到先得。</p>"},
                         headers=HEADERS, name="create article")


class GetCustomer(Benchmark):
    @task
    def get(self):
        self.client.get(f"{CUSTOMERS}/{random.choice(IDS)}", headers=HEADERS, name="get")


class ListOrders(Benchmark):
    @task
    def list(self):
        self.client.get(f"{ORDERS}?{LIST_QUERY}", headers=HEADERS, name="list")
