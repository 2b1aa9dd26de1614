"""What every /rest listener shares: errors, the request middleware (stats, faults, headers), helpers.

A product instance (SbcInstance, SdmInstance) provides ``name``, ``stats``, ``tick(now)`` and
``error_response(request, ApiError)``; this module turns everything a handler can raise into one
of those responses, so no traceback ever reaches a client.
"""

import asyncio
import html
import http
import time
import traceback

from aiohttp import web

from .state import log

COMMON_HEADERS = {"Server": "Apache", "X-Frame-Options": "SAMEORIGIN"}


class ApiError(Exception):
    """An HTTP error answer: status, one-line text, optional envelope links and extra headers."""

    def __init__(self, status, text, links=(), headers=None):
        super().__init__(text)
        self.status = status
        self.text = text
        self.links = tuple(links)
        self.headers = headers or {}


def route_key(request):
    """Return the stats key of a request: ``METHOD /route/{template}``, or ``METHOD *`` when no route matched."""
    resource = request.match_info.route.resource
    return "%s %s" % (request.method, resource.canonical if resource is not None else "*")


def apache_502_page(request):
    """Return the HTML an Apache reverse proxy shows when the application server behind it fails."""
    target = html.escape("%s %s" % (request.method, request.path))
    return (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>502 Proxy Error</title>\n'
        "</head><body>\n<h1>Proxy Error</h1>\n<p>The proxy server received an invalid\nresponse from an upstream server.<br />\n"
        "The proxy server could not handle the request <em>%s</em>.<p>\n"
        "Reason: <strong>Error reading from remote server</strong></p></p>\n<hr>\n<address>Apache Server</address>\n"
        "</body></html>\n" % target
    )


def tomcat_error_page(status, text):
    """Return the HTML error page Apache Tomcat writes for ``status`` with ``text`` as its message."""
    reason = html.escape(_reason(status))
    return (
        '<!doctype html><html lang="en"><head><title>HTTP Status %d \u2013 %s</title></head><body>'
        "<h1>HTTP Status %d \u2013 %s</h1><hr class=\"line\" /><p><b>Type</b> Status Report</p>"
        "<p><b>Message</b> %s</p><hr class=\"line\" /><h3>Apache Tomcat</h3></body></html>"
        % (status, reason, status, reason, html.escape(text))
    )


def _reason(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


DRIP = "emulator.drip"  # request key: the drip fault whose answer the middleware sends slowly


class DropConnection(Exception):
    """Raised to close the client's connection without any response (fault ``drop``)."""


def make_middleware(instance, hub):
    """Return the aiohttp middleware every /rest request of ``instance`` passes through."""

    @web.middleware
    async def rest_middleware(request, handler):
        route = route_key(request)
        instance.stats.count_connection(request.transport)
        try:
            response = await _answer(instance, request, handler, hub.faults)
        except DropConnection:
            instance.stats.count(route, "drop")
            if request.transport is not None:
                request.transport.close()
            # aiohttp cannot write this to the closed transport and ends the connection quietly
            return web.Response(status=500)
        response.headers.update(COMMON_HEADERS)
        instance.stats.count(route, response.status)
        drip = request.get(DRIP)
        if drip is not None:
            await _drip(request, response, drip)
            # the answer went out by hand; aiohttp cannot write this one to the closed transport
            return web.Response(status=500)
        return response

    return rest_middleware


async def _answer(instance, request, handler, faults):
    """Run the armed fault (if any) or the handler; map every exception to the product's error response."""
    try:
        instance.precheck(request)
        fault = faults.take(instance.name, request.method, request.path)
        if fault is not None:
            if fault["kind"] == "latency":
                await asyncio.sleep(fault["delay"])
            elif fault["kind"] == "drip":
                request[DRIP] = fault  # handled as usual; the middleware sends the answer slowly
            else:
                return _fault_response(instance, request, fault)
        instance.tick(time.monotonic())
        return await handler(request)
    except ApiError as exc:
        return instance.error_response(request, exc)
    except web.HTTPException as exc:
        # router 404/405, body too large, ...: the product's own error shape, never aiohttp's page
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        text = "Resource not found" if exc.status == 404 else exc.reason
        return instance.error_response(request, ApiError(exc.status, text, headers=headers))
    except (DropConnection, asyncio.CancelledError, ConnectionError):
        raise
    except Exception as exc:
        log("internal error on %s %s: %s" % (request.method, request.path, "".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()))
        return instance.error_response(request, ApiError(500, "Internal server error"))


def _fault_response(instance, request, fault):
    """Return the response of an armed non-latency fault; the request itself is never handled."""
    kind = fault["kind"]
    if kind == "drop":
        raise DropConnection()
    if kind == "html502":
        return web.Response(status=502, text=apache_502_page(request), content_type="text/html", charset="iso-8859-1")
    if kind == "empty200":
        return web.Response(status=200, body=b"", content_type=instance.content_type)
    return instance.error_response(request, ApiError(fault["status"], "Injected fault"))


def wire_bytes(response):
    """Return ``response`` as HTTP/1.1 bytes, with Content-Length and ``Connection: close``."""
    body = response.body or b""
    lines = ["HTTP/1.1 %d %s" % (response.status, response.reason)]
    lines += ["%s: %s" % (name, value) for name, value in response.headers.items()
              if name.lower() not in ("content-length", "connection", "transfer-encoding")]
    lines += ["Set-Cookie: %s" % morsel.OutputString() for morsel in response.cookies.values()]
    lines += ["Content-Length: %d" % len(body), "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _drip(request, response, fault):
    """Fault ``drip``: write the whole answer ``bytes`` bytes at a time, ``delay`` seconds apart, then close the connection."""
    data, step, transport = wire_bytes(response), fault["bytes"], request.transport
    for start in range(0, len(data), step):
        if transport is None or transport.is_closing():
            return  # the client gave up
        transport.write(data[start:start + step])
        if start + step < len(data):
            await asyncio.sleep(fault["delay"])
    transport.close()


def accepts_json(request, default=False):
    """True when the Accept header names JSON before XML; ``default`` when it names neither (e.g. ``*/*``)."""
    accept = request.headers.get("Accept", "").lower()
    json_at, xml_at = accept.find("json"), accept.find("xml")
    if json_at < 0:
        return default if xml_at < 0 else False
    return xml_at < 0 or json_at < xml_at
