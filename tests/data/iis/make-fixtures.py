#!/usr/bin/env python3
"""Write the applicationHost.config fixtures of tests/data/iis (see README.md).

The base file is written by hand in this script from Microsoft's documentation
of the configuration sections; the variants are derived from it by plain text
substitution so that each differs from the base only in what it is for.
Run it from anywhere: it writes next to itself.
"""
import os

BASE = """<?xml version="1.0" encoding="UTF-8"?>
<!--

    IIS configuration sections.

    For schema documentation, see
    %windir%\\system32\\inetsrv\\config\\schema\\IIS_schema.xml.

    Please make a backup of this file before making any changes to it.

-->

<configuration>

    <!--

        The <configSections> section controls the registration of sections.
        Section is the basic unit of deployment, locking, searching and
        containment for configuration settings.

    -->

    <configSections>
        <sectionGroup name="system.applicationHost">
            <section name="applicationPools" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="sites" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="webLimits" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
        </sectionGroup>
        <sectionGroup name="system.webServer">
            <section name="serverRuntime" overrideModeDefault="Deny" />
            <sectionGroup name="security">
                <section name="access" overrideModeDefault="Deny" />
                <sectionGroup name="authentication">
                    <section name="anonymousAuthentication" overrideModeDefault="Deny" />
                    <section name="basicAuthentication" overrideModeDefault="Deny" />
                    <section name="clientCertificateMappingAuthentication" overrideModeDefault="Deny" />
                </sectionGroup>
            </sectionGroup>
        </sectionGroup>
    </configSections>

    <system.applicationHost>

        <applicationPools>
            <add name="DefaultAppPool" />
            <add name="MSExchangeSyncAppPool" managedRuntimeVersion="v4.0" managedPipelineMode="Integrated" />
            <applicationPoolDefaults managedRuntimeVersion="v4.0">
                <processModel identityType="ApplicationPoolIdentity" />
            </applicationPoolDefaults>
        </applicationPools>

        <sites>
            <site name="Default Web Site" id="1">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" />
                </application>
                <application path="/Microsoft-Server-ActiveSync" applicationPool="MSExchangeSyncAppPool">
                    <virtualDirectory path="/" physicalPath="C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\sync" />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:80:" />
                    <binding protocol="https" bindingInformation="*:443:" sslFlags="0" />
                </bindings>
            </site>
            <siteDefaults>
                <logFile logFormat="W3C" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />
                <traceFailedRequestsLogging directory="%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles" />
            </siteDefaults>
            <applicationDefaults applicationPool="DefaultAppPool" />
            <virtualDirectoryDefaults allowSubDirConfig="true" />
        </sites>

        <webLimits />

    </system.applicationHost>

    <system.webServer>
        <!-- server-wide defaults; sites override them in <location> -->
        <security>
            <access sslFlags="None" />
            <authentication>
                <anonymousAuthentication enabled="true" userName="IUSR" />
                <basicAuthentication />
                <clientCertificateMappingAuthentication />
            </authentication>
        </security>
        <serverRuntime />
    </system.webServer>

    <location path="Default Web Site">
        <system.webServer>
            <security>
                <authentication>
                    <anonymousAuthentication enabled="true" />
                </authentication>
            </security>
        </system.webServer>
    </location>
    <location path="Default Web Site/Microsoft-Server-ActiveSync">
        <system.webServer>
            <security>
                <authentication>
                    <anonymousAuthentication enabled="false" />
                    <basicAuthentication enabled="true" />
                </authentication>
            </security>
        </system.webServer>
    </location>
</configuration>
"""

DWS_LOCATION = """    <location path="Default Web Site">
        <system.webServer>
            <security>
                <authentication>
                    <anonymousAuthentication enabled="true" />
                </authentication>
            </security>
        </system.webServer>
    </location>
"""

EAS_AUTH = """                <authentication>
                    <anonymousAuthentication enabled="false" />
                    <basicAuthentication enabled="true" />
                </authentication>
            </security>
        </system.webServer>
    </location>
</configuration>
"""


def sub(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


def variants():
    base = BASE
    yield "applicationHost.config", base.encode()
    yield "bom-crlf.config", b"\xef\xbb\xbf" + base.replace("\n", "\r\n").encode()
    yield "bom-lf.config", b"\xef\xbb\xbf" + base.encode()
    yield "crlf.config", base.replace("\n", "\r\n").encode()
    # An SNI binding beside the IP one, and no location for the site at all.
    sni = sub(base, '<binding protocol="https" bindingInformation="*:443:" sslFlags="0" />',
              '<binding protocol="https" bindingInformation="*:443:" />\n'
              '                    <binding protocol="https" '
              'bindingInformation="*:443:mail.example.com" sslFlags="1" />')
    sni = sub(sni, DWS_LOCATION, "")
    yield "sni.config", sni.encode()
    # Child locations that weaken the site, one that requires a certificate
    # without SSL, and a location left behind by a removed site.
    weak = sub(base, EAS_AUTH, """                <access sslFlags="Ssl, Ssl128" />
""" + EAS_AUTH + "")
    weak = sub(weak, "</configuration>\n", """    <location path="Default Web Site/EWS">
        <system.webServer>
            <security>
                <access sslFlags="SslNegotiateCert,SslRequireCert" />
            </security>
        </system.webServer>
    </location>
    <location path="Old Site/owa">
        <system.webServer>
            <security>
                <access sslFlags="Ssl" />
            </security>
        </system.webServer>
    </location>
</configuration>
""")
    yield "weakening-child.config", weak.encode()
    # What the procedure wants, already there.
    ok = sub(base, 'bindingInformation="*:443:" sslFlags="0"',
             'bindingInformation="*:443:" sslFlags="32"')
    ok = sub(ok, DWS_LOCATION, DWS_LOCATION.replace(
        "            <security>\n",
        '            <security>\n                <access sslFlags="Ssl, SslNegotiateCert, SslRequireCert" />\n'))
    yield "compliant.config", ok.encode()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, data in variants():
        with open(os.path.join(here, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
